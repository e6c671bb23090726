package main

import (
	"fmt"
	"io"
	"os"

	"github.com/alertprof/alertprof/capture/format"
)

// fileLimits bound what `alertprof analyze` reads of its files.
type fileLimits struct {
	maxBytes   int64 // one file as stored
	maxDecoded int64 // a pprof profile once decompressed
	text       format.TextLimits
}

// readFileMax reads path, failing when it holds more than max bytes.
func readFileMax(path string, max int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, max+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("%s: larger than %d bytes (--max-bytes)", path, max)
	}
	return data, nil
}
