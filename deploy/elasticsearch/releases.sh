# releases.sh — sourced by build.sh and run.sh: es_release LINE sets, for a
# release line (7.17, 8.17 or 9.0; 7, 8, 9 also name them), peer (the folder
# under .peers/), profile (pom.xml's) and min_java (the oldest Java it runs on).
es_release() {
	case "$1" in
	7.17 | 7) peer=elasticsearch profile=es7 min_java=17 ;;
	8.17 | 8) peer=elasticsearch8 profile=es8 min_java=17 ;;
	9.0 | 9) peer=elasticsearch9 profile=es9 min_java=21 ;;
	*)
		echo "elasticsearch: unknown release line $1 (want 7.17, 8.17 or 9.0)" >&2
		exit 2
		;;
	esac
}
