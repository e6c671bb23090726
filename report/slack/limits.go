package slack

// Slack's limits for one message, the one set every rendering keeps.
const (
	// maxBlocks is the most blocks Slack accepts in one message.
	maxBlocks = 50
	// maxTextLen is the most characters Slack accepts in one text object.
	maxTextLen = 3000
	// maxHeaderLen is the most characters of a header block's text.
	maxHeaderLen = 150
	// maxContextElements is the most elements of a context block.
	maxContextElements = 10
)
