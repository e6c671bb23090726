package capture

// ArtifactKeysForTest returns the keys TestArtifactKey checks, so that the
// external test in keys_store_test.go can put each one in a real store.
func ArtifactKeysForTest() []string {
	var keys []string
	for _, c := range artifactKeyCases() {
		keys = append(keys, c.want)
	}
	return keys
}
