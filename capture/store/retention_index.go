package store

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// indexDir holds the handler's indexes of captures by pod and workload
// (state/captures/pods/…, state/captures/workloads/…): small files, one
// per pod ever captured, whose entries point at incident records.
const indexDir = "state/captures"

// pruneIndexes removes the capture indexes not written since cutoff: the
// records they point at are as old, and pruned with their incidents.
func (l *Local) pruneIndexes(cutoff time.Time) error {
	root := filepath.Join(l.dir, filepath.FromSlash(indexDir))
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		if fi.ModTime().Before(cutoff) {
			return os.Remove(path)
		}
		return nil
	})
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("prune %s: %w", indexDir, err)
	}
	return nil
}
