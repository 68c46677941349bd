package testpeer

// ElasticsearchRelease is one release line of Elasticsearch that
// deploy/elasticsearch runs as an embedded node.
type ElasticsearchRelease struct {
	Line    string // as run.sh and build.sh name it: 7.17, 8.17, 9.0
	Version string // what the node reports as version.number
	Peer    string // its folder under .peers/
}

// build is the command that provisions the release's peer.
func (r ElasticsearchRelease) build() string {
	if r.Line == "7.17" {
		return "deploy/elasticsearch/build.sh"
	}
	return "deploy/elasticsearch/build.sh " + r.Line
}

// ElasticsearchReleases are the release lines deploy/elasticsearch runs,
// oldest first: each the newest patch release of its line for which Maven
// Central serves both the server and its Netty4 module (deploy/elasticsearch/
// pom.xml's profiles; releases.sh maps a line to its folder). 9.0 runs on
// Java 21 or newer (run.sh finds one under /usr/lib/jvm).
func ElasticsearchReleases() []ElasticsearchRelease {
	return []ElasticsearchRelease{
		{Line: "7.17", Version: ElasticsearchVersion, Peer: "elasticsearch"},
		{Line: "8.17", Version: "8.17.2", Peer: "elasticsearch8"},
		{Line: "9.0", Version: "9.0.8", Peer: "elasticsearch9"},
	}
}
