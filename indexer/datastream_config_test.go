package indexer

import (
	"strings"
	"testing"
)

func TestDataStreamConfig(t *testing.T) {
	cfg, err := LoadConfig(writeFile(t, "routes:\n  - topics: [a]\n    data_stream: {dataset: nginx.access}\n"))
	if err != nil {
		t.Fatal(err)
	}
	if ds := cfg.Routes[0].DataStream; ds == nil || ds.name() != "logs-nginx.access-default" {
		t.Errorf("data stream %+v: want logs-nginx.access-default", ds)
	}
	// A template for another route's index that does not cover the stream.
	if _, err := LoadConfig(writeFile(t, "routes:\n  - {topics: [a], data_stream: {}}\n  - {topics: [b], index: 'logs-nginx-%{+yyyy.MM.dd}'}\n")); err != nil {
		t.Errorf("logs-nginx-* beside logs-generic-default: %v", err)
	}
	for _, tc := range []struct{ name, text, want string }{
		{"both", "routes:\n  - topics: [a]\n    index: x\n    data_stream: {dataset: d}\n", ":3: routes[0].index: set either index or data_stream"},
		{"dash in dataset", "routes:\n  - topics: [a]\n    data_stream:\n      dataset: nginx-access\n", ":4: routes[0].data_stream.dataset: \"nginx-access\": must not contain '-'"},
		{"upper namespace", "routes:\n  - topics: [a]\n    data_stream:\n      namespace: Prod\n", ":4: routes[0].data_stream.namespace: \"Prod\": must be lowercase"},
		{"unknown key", "routes:\n  - topics: [a]\n    data_stream: {set: x}\n", ":3: routes[0].data_stream.set: unknown key"},
		{"template overlap", "routes:\n  - {topics: [a], data_stream: {dataset: app}}\n  - {topics: [b], index: 'logs-%{[svc]}'}\n",
			":2: routes[0].data_stream: data stream logs-app-default would get routes[1]'s index template (pattern logs-*)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := writeFile(t, tc.text)
			_, err := LoadConfig(path)
			if err == nil || !strings.Contains(err.Error(), path+tc.want) {
				t.Errorf("error %v, want it to contain %q", err, path+tc.want)
			}
		})
	}
	// With no templates installed there is no overlap.
	if _, err := LoadConfig(writeFile(t, "elasticsearch: {template: '-'}\nroutes:\n  - {topics: [a], data_stream: {dataset: app}}\n  - {topics: [b], index: 'logs-%{[svc]}'}\n")); err != nil {
		t.Errorf("template -: %v", err)
	}
}
