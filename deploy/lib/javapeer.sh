# javapeer.sh — shared by the embedded Java test peers (deploy/elasticsearch,
# deploy/opensearch): sourced by their build.sh and run.sh, not run.
#
#   javapeer_java MIN           prints a java binary of release MIN or newer:
#                               the one on PATH, else the newest under
#                               /usr/lib/jvm; fails naming what it needs.
#   javapeer_build NAME DIR OUT JAR MIN [MAVEN_ARG...]
#                               builds the Maven project DIR (its pom.xml,
#                               src/ and build.sh; deploy/lib/java, the Java
#                               sources the peers share, is one of its source
#                               roots) with a JDK of release MIN or
#                               newer and puts target/JAR and every runtime
#                               dependency jar into OUT/lib. Does nothing when
#                               nothing of that (nor the arguments) changed
#                               since the last build: their hash is OUT/stamp.
#   javapeer_exec LIB MAIN MIN [JAVA_OPTS] -- ARG...
#                               execs MAIN from LIB/*.jar with a small heap
#                               (JAVA_OPTS, a list of options, may override it).

javapeer_release() { # the feature release of java binary $1 (17, 21, 25…)
	"$1" -version 2>&1 | sed -nE '1s/.*version "(1\.)?([0-9]+).*/\2/p'
}

javapeer_java() {
	local min=$1 j rel best="" best_rel=0
	if j=$(command -v java) && rel=$(javapeer_release "$j") && ((rel >= min)); then
		echo "$j"
		return 0
	fi
	for j in /usr/lib/jvm/*/bin/java; do
		[[ -x "$j" ]] || continue
		rel=$(javapeer_release "$j")
		if [[ -n "$rel" ]] && ((rel >= min && rel > best_rel)); then
			best=$j best_rel=$rel
		fi
	done
	if [[ -z "$best" ]]; then
		echo "javapeer: needs Java $min or newer: neither java on PATH nor any /usr/lib/jvm/*/bin/java is (install a JDK $min+, e.g. openjdk-$min-jdk-headless)" >&2
		return 1
	fi
	echo "$best"
}

javapeer_build() {
	local name=$1 dir=$2 out=$3 jar=$4 min=$5
	shift 5
	local lib stamp java
	lib=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
	stamp=$( (cd "$dir" && find pom.xml build.sh src -type f -print0 | sort -z | xargs -0 sha256sum
		cd "$lib" && find . -type f -print0 | sort -z | xargs -0 sha256sum
		echo "$*") | sha256sum | cut -d' ' -f1)
	if [[ -f "$out/stamp" && "$(cat "$out/stamp")" == "$stamp" && -f "$out/lib/$jar" ]]; then
		echo "$name peer: up to date in $out"
		return 0
	fi
	java=$(javapeer_java "$min") || return 1
	local log build
	log=$(mktemp)
	mkdir -p "$dir/target"
	build=$(mktemp -d "$dir/target/build.XXXXXX")
	# A build directory of its own: builds of other versions from the same
	# sources leave nothing behind in it.
	if ! (cd "$dir" && JAVA_HOME=$(dirname "$(dirname "$(readlink -f "$java")")") \
		mvn -q -B -Dstyle.color=never -Dpeer.build="$build" "$@" package) >"$log" 2>&1; then
		cat "$log" >&2
		rm -rf "$log" "$build"
		echo "$name peer: maven build failed" >&2
		return 1
	fi
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp/lib"
	cp "$build/$jar" "$build"/lib/*.jar "$out.tmp/lib/"
	echo "$stamp" >"$out.tmp/stamp"
	rm -rf "$out" "$log" "$build"
	mv "$out.tmp" "$out"
	echo "$name peer: built $(ls "$out/lib" | wc -l) jars into $out"
}

javapeer_exec() {
	local lib=$1 main=$2 min=$3 opts=$4 java
	shift 4
	[[ "${1:-}" == -- ]] && shift
	java=$(javapeer_java "$min") || exit 1
	local native=()
	(($(javapeer_release "$java") >= 21)) && native=(--enable-native-access=ALL-UNNAMED)
	# shellcheck disable=SC2086 # opts is a list of options
	exec "$java" \
		-Xms512m -Xmx512m \
		-XX:+UseSerialGC -XX:TieredStopAtLevel=1 \
		"${native[@]}" \
		-Dfile.encoding=UTF-8 \
		-Djava.awt.headless=true \
		-Dlog4j.shutdownHookEnabled=false \
		-Dlog4j2.disable.jmx=true \
		-Dlog4j2.formatMsgNoLookups=true \
		-Dio.netty.noUnsafe=true \
		-Dio.netty.noKeySetOptimization=true \
		-Dio.netty.recycler.maxCapacityPerThread=0 \
		-Dio.netty.allocator.numDirectArenas=0 \
		-Des.networkaddress.cache.ttl=60 \
		-Dopensearch.networkaddress.cache.ttl=60 \
		$opts \
		-cp "$lib/*" "$main" "$@"
}
