package flame

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"strings"
)

// pngSignature opens every PNG file.
const pngSignature = "\x89PNG\r\n\x1a\n"

// Keywords of the tEXt chunks Render writes.
const (
	KeyTitle       = "Title"
	KeyDescription = "Description"
	KeyCulprit     = "Culprit"
	KeySoftware    = "Software"
)

// maxTextChunk bounds the text of one tEXt chunk; the alt text is shorter.
const maxTextChunk = 4096

// textChunk is one tEXt chunk: keyword and text, in Latin-1.
type textChunk struct{ key, text string }

// withText returns the PNG img with a tEXt chunk for each of chunks,
// right after the header chunk (IHDR), before the image data. A chunk is
// its data's length (4 bytes, big endian), its type, its data (keyword,
// NUL, text) and the CRC-32 of type and data.
func withText(img []byte, chunks []textChunk) ([]byte, error) {
	const ihdrEnd = len(pngSignature) + 4 + 4 + 13 + 4
	if len(img) < ihdrEnd || string(img[:len(pngSignature)]) != pngSignature || string(img[12:16]) != "IHDR" {
		return nil, errors.New("not a PNG with a header chunk")
	}
	var b bytes.Buffer
	b.Grow(len(img) + 512)
	b.Write(img[:ihdrEnd])
	for _, c := range chunks {
		data := latin1(c.key, 79) + "\x00" + latin1(c.text, maxTextChunk)
		var n [4]byte
		binary.BigEndian.PutUint32(n[:], uint32(len(data)))
		b.Write(n[:])
		crc := crc32.NewIEEE()
		typeAndData := "tEXt" + data
		b.WriteString(typeAndData)
		_, _ = crc.Write([]byte(typeAndData))
		binary.BigEndian.PutUint32(n[:], crc.Sum32())
		b.Write(n[:])
	}
	b.Write(img[ihdrEnd:])
	return b.Bytes(), nil
}

// latin1 is s in ISO 8859-1, as tEXt requires, cut to max bytes: the
// arrow of a headline becomes "<-", other characters outside Latin-1
// and control characters but the newline become '?'.
func latin1(s string, max int) string {
	var b strings.Builder
	for _, r := range strings.ReplaceAll(s, "←", "<-") {
		if b.Len() >= max {
			break
		}
		switch {
		case r == '\n':
			b.WriteByte('\n')
		case r < 0x20 || r == 0x7f || r > 0xff || (r >= 0x80 && r < 0xa0):
			b.WriteByte('?')
		default:
			b.WriteByte(byte(r))
		}
	}
	return b.String()
}

// ReadText returns the tEXt chunks of a PNG, keyword to text (Latin-1
// decoded). It checks each chunk's CRC and stops at the image's end.
func ReadText(img []byte) (map[string]string, error) {
	if len(img) < len(pngSignature) || string(img[:len(pngSignature)]) != pngSignature {
		return nil, errors.New("not a PNG")
	}
	out := make(map[string]string)
	rest := img[len(pngSignature):]
	for len(rest) >= 12 {
		n := binary.BigEndian.Uint32(rest[:4])
		if uint64(n) > uint64(len(rest)-12) {
			return nil, fmt.Errorf("chunk %q: length %d past the end", rest[4:8], n)
		}
		typ, data := string(rest[4:8]), rest[8:8+n]
		if crc32.ChecksumIEEE(rest[4:8+n]) != binary.BigEndian.Uint32(rest[8+n:12+n]) {
			return nil, fmt.Errorf("chunk %q: bad CRC", typ)
		}
		if typ == "tEXt" {
			key, text, ok := bytes.Cut(data, []byte{0})
			if !ok {
				return nil, errors.New("tEXt chunk without a keyword separator")
			}
			out[string(key)] = fromLatin1(text)
		}
		if typ == "IEND" {
			return out, nil
		}
		rest = rest[12+n:]
	}
	return nil, errors.New("PNG ends without IEND")
}

func fromLatin1(b []byte) string {
	r := make([]rune, len(b))
	for i, c := range b {
		r[i] = rune(c)
	}
	return string(r)
}
