//go:build ignore

// Command culprits runs small programs whose performance culprit is known,
// and captures their profiles through net/http/pprof, the way alertprof
// captures a pod. Package report's acceptance tests check that the headline
// or the top three rows name the culprit. Run from the module root:
//
//	go run ./report/testdata/gen/culprits/main.go -out report/testdata/culprits
//
// Each case writes into its own directory:
//
//	cache/    an unbounded map used as a cache: heap.pb.gz, and heap2.pb.gz
//	          taken 2 s later while it keeps growing (for -base diffs)
//	reflect/  a reflect-based decoder holding a million objects: heap.pb.gz
//	readall/  an HTTP handler that io.ReadAll's 4 MB bodies and keeps them:
//	          heap.pb.gz
//	leak/     1,000 goroutines leaked sending on a channel nobody reads:
//	          goroutine.pb.gz and goroutine.txt.gz (debug=2)
//	slownet/  HTTP requests stuck on a backend that never answers:
//	          goroutine.pb.gz and goroutine.txt.gz (debug=2)
package main

import (
	"bytes"
	"compress/gzip"
	"flag"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	_ "net/http/pprof"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"sync"
	"time"
)

var out = flag.String("out", "report/testdata/culprits", "directory to write the cases to")

// pprofServer serves net/http/pprof from the default mux, as a target pod.
var pprofServer *httptest.Server

func main() {
	only := flag.String("case", "", "run only this case")
	target := flag.String("target", "", "URL the clients case sends requests to")
	flag.Parse()
	if *only == "clients" {
		runClients(*target)
		return
	}
	pprofServer = httptest.NewServer(http.DefaultServeMux)
	cases := []struct {
		name string
		run  func(dir string)
	}{
		{"cache", runCache}, {"reflect", runReflect}, {"readall", runReadAll},
		{"leak", runLeak}, {"slownet", runSlowNet},
	}
	for _, c := range cases {
		if *only == "" {
			// Each case runs in a process of its own, so that its
			// profiles hold nothing of the others.
			cmd := exec.Command(os.Args[0], "-out", *out, "-case", c.name)
			cmd.Stdout, cmd.Stderr = os.Stdout, os.Stderr
			if err := cmd.Run(); err != nil {
				log.Fatalf("case %s: %v", c.name, err)
			}
			continue
		}
		if c.name != *only {
			continue
		}
		dir := filepath.Join(*out, c.name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			log.Fatal(err)
		}
		c.run(dir)
		log.Printf("wrote %s", dir)
	}
}

// fetch saves /debug/pprof/<path> to dir/name, gzipping text dumps.
func fetch(dir, path, name string) {
	resp, err := http.Get(pprofServer.URL + "/debug/pprof/" + path)
	if err != nil {
		log.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK {
		log.Fatalf("fetch %s: %v %s", path, err, resp.Status)
	}
	if strings.HasSuffix(name, ".txt.gz") {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		zw.Write(body)
		zw.Close()
		body = b.Bytes()
	}
	if err := os.WriteFile(filepath.Join(dir, name), body, 0o644); err != nil {
		log.Fatal(err)
	}
}

// ---- cache: an unbounded map ----

type session struct {
	user    [48]byte
	scopes  [8]uint64
	expires int64
}

type sessionCache struct {
	mu sync.Mutex
	m  map[uint64]session
}

// put never evicts: the culprit.
func (c *sessionCache) put(id uint64, s session) {
	c.mu.Lock()
	c.m[id] = s
	c.mu.Unlock()
}

var cache = &sessionCache{m: make(map[uint64]session)}

func runCache(dir string) {
	var id uint64
	grow := func(n int) {
		for range n {
			id++
			cache.put(id, session{expires: int64(id)})
		}
	}
	grow(1 << 20)
	fetch(dir, "heap?gc=1", "heap.pb.gz")
	grow(1 << 20)
	fetch(dir, "heap?gc=1", "heap2.pb.gz")
}

// ---- reflect: a reflect-heavy decoder holding many objects ----

type Customer struct {
	ID      *int64
	Name    *string
	Email   *string
	Country *string
}

var customers []any

// scanCustomers decodes rows into freshly allocated structs via reflect.
func scanCustomers(rows [][]string) []any {
	t := reflect.TypeOf(Customer{})
	out := make([]any, 0, len(rows))
	for i, row := range rows {
		v := reflect.New(t).Elem()
		id := reflect.New(reflect.TypeOf(int64(0)))
		id.Elem().SetInt(int64(i))
		v.Field(0).Set(id)
		for f := 1; f < t.NumField(); f++ {
			s := reflect.New(reflect.TypeOf(""))
			s.Elem().SetString(row[f-1])
			v.Field(f).Set(s)
		}
		out = append(out, v.Addr().Interface())
	}
	return out
}

func runReflect(dir string) {
	rows := make([][]string, 250_000)
	for i := range rows {
		rows[i] = []string{"name", "user@example.com", "NL"}
	}
	customers = scanCustomers(rows) // 1,250,000 objects
	fetch(dir, "heap?gc=1", "heap.pb.gz")
}

// ---- readall: io.ReadAll of large bodies ----

var pending [][]byte
var pendingMu sync.Mutex

// handleUpload reads whole bodies into memory and queues them.
func handleUpload(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	pendingMu.Lock()
	pending = append(pending, body)
	pendingMu.Unlock()
}

func runReadAll(dir string) {
	srv := httptest.NewServer(http.HandlerFunc(handleUpload))
	defer srv.Close()
	payload := bytes.Repeat([]byte("x"), 4<<20)
	for range 24 {
		resp, err := http.Post(srv.URL, "application/octet-stream", bytes.NewReader(payload))
		if err != nil {
			log.Fatal(err)
		}
		resp.Body.Close()
	}
	fetch(dir, "heap?gc=1", "heap.pb.gz")
}

// ---- leak: goroutines blocked sending on a channel ----

// fetchAll starts a worker per item but returns after the first result:
// the other workers block forever on the unbuffered channel.
func fetchAll(items int) int {
	results := make(chan int)
	for i := range items {
		go fetchWorker(i, results)
	}
	return <-results
}

func fetchWorker(i int, results chan<- int) {
	results <- i * i
}

func runLeak(dir string) {
	fetchAll(1001)
	time.Sleep(200 * time.Millisecond)
	fetch(dir, "goroutine", "goroutine.pb.gz")
	fetch(dir, "goroutine?debug=2", "goroutine.txt.gz")
}

// ---- slownet: requests stuck on a slow backend ----

// callInventory asks the inventory backend over a raw TCP protocol and
// waits for the answer, without a deadline: the culprit.
func callInventory(addr, sku string) (string, error) {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		return "", err
	}
	defer conn.Close()
	fmt.Fprintf(conn, "GET %s\n", sku)
	buf := make([]byte, 64)
	n, err := conn.Read(buf)
	return string(buf[:n]), err
}

func runSlowNet(dir string) {
	// The backend accepts and never answers.
	backend, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		log.Fatal(err)
	}
	var held []net.Conn
	go func() {
		for {
			c, err := backend.Accept()
			if err != nil {
				return
			}
			held = append(held, c)
		}
	}()
	handleOrder := func(w http.ResponseWriter, r *http.Request) {
		s, err := callInventory(backend.Addr().String(), r.URL.Query().Get("sku"))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		io.WriteString(w, s)
	}
	srv := httptest.NewServer(http.HandlerFunc(handleOrder))
	// The clients are another process, as they would be in production.
	clients := exec.Command(os.Args[0], "-case", "clients", "-target", srv.URL)
	clients.Stderr = os.Stderr
	if err := clients.Start(); err != nil {
		log.Fatal(err)
	}
	defer clients.Process.Kill()
	time.Sleep(2 * time.Second)
	fetch(dir, "goroutine", "goroutine.pb.gz")
	fetch(dir, "goroutine?debug=2", "goroutine.txt.gz")
}

// runClients sends 300 concurrent requests to the target and waits.
func runClients(target string) {
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 300}}
	var wg sync.WaitGroup
	for i := range 300 {
		wg.Go(func() { client.Get(fmt.Sprintf("%s/order?sku=%d", target, i)) })
	}
	wg.Wait()
}
