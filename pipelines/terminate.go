package pipelines

// buildTerminate compiles terminate (Elasticsearch 8.16): the rest of the
// pipeline's processors are skipped and the event goes on as it is, not
// failed and not dropped. Usually with an if. A pipeline that called this
// one goes on with its next processor.
func buildTerminate(*opts, bool) doFunc {
	return func(Event, *state) error { return errTerminate }
}
