package flame

import (
	"bytes"
	"compress/gzip"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// FuzzRender: whatever bytes a target sends, drawing them either fails
// with an error or gives a PNG that decodes, of the fixed width and at
// most the bounded height; it never panics. Seeds are the real profiles
// of ../testdata, decompressed so that mutations reach the decoder.
func FuzzRender(f *testing.F) {
	for _, name := range []string{"heap.pb.gz", "cpu.pb.gz", "goroutine.pb.gz", "mutex.pb.gz", "culprits/reflect/heap.pb.gz"} {
		gz, err := os.ReadFile(filepath.Join("..", "testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(gz))
		if err != nil {
			f.Fatal(err)
		}
		data, err := io.ReadAll(zr)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data, "main.main")
	}
	f.Fuzz(func(t *testing.T, data []byte, culprit string) {
		src, err := Stream(data, 8<<20)
		if err != nil {
			return
		}
		img, err := Render(src, Options{Title: "fuzz", Headline: culprit, Culprit: culprit})
		if err != nil {
			return
		}
		decoded, err := png.Decode(bytes.NewReader(img.PNG))
		if err != nil {
			t.Fatalf("the PNG does not decode: %v", err)
		}
		if b := decoded.Bounds(); b.Dx() != DefaultWidth || b.Dy() > maxHeight {
			t.Fatalf("picture %v", b)
		}
		if _, err := ReadText(img.PNG); err != nil {
			t.Fatalf("text chunks: %v", err)
		}
	})
}
