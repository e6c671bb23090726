// Package flame draws a pprof profile as a flame graph in PNG, small
// enough to read on a phone in a Slack thread: a fixed width, a bounded
// number of rows, frames too narrow to read merged, labels cut with an
// ellipsis to fit their box, colours by package, and the culprit's path
// (the headline's function and every frame above it) outlined while the
// rest is faded. The image is drawn in-process with golang.org/x/image
// and the Go font, so it needs no browser, Graphviz or font on the host.
//
// The PNG carries tEXt chunks (Title, Description, Software) naming the
// profile, the headline and the culprit: the same words as the alt text
// a notifier gives the image. ReadText reads them back.
package flame
