package pprofwire

import "io"

// Sizes reads a profile once, keeping none of it, and says how many of its
// decoded bytes are samples and how many are the rest: the string,
// function, location and mapping tables that a summary holds in memory
// while it aggregates the samples one at a time. The budget estimates a
// summary's memory from the two.
func Sizes(data []byte, maxDecoded int64) (samples, tables int64, err error) {
	src, err := open(data, maxDecoded)
	if err != nil {
		return 0, 0, err
	}
	skip := func(uint64) bool { return false }
	for {
		f, err := src.next(skip)
		if err == io.EOF {
			return samples, tables, nil
		}
		if err != nil {
			return samples, tables, streamErr(err)
		}
		if f.num == fieldSample {
			samples += int64(f.size)
		} else {
			tables += int64(f.size)
		}
	}
}
