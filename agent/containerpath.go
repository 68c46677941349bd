package agent

import (
	"path/filepath"
	"strings"
)

// containerPathFields returns the fields a container log file's path
// tells, as Filebeat's add_kubernetes_metadata (logs_path matcher) and
// add_docker_metadata find them, or nil:
//
//	/var/lib/docker/containers/<id>/<id>-json.log[.N]      container.id
//	/var/log/containers/<pod>_<namespace>_<container>-<id>.log
//	                                                       container.id, kubernetes.pod.name,
//	                                                       kubernetes.namespace, kubernetes.container.name
//	/var/log/pods/<namespace>_<pod>_<uid>/<container>/<n>.log[.<date>]
//	                                                       kubernetes.namespace, kubernetes.pod.name,
//	                                                       kubernetes.pod.uid, kubernetes.container.name
//
// Only the shape of the path counts, not the folder it is in. The maps
// returned are shared by every event of the file: they are never changed.
func containerPathFields(path string) map[string]any {
	dir, name := filepath.Split(path)
	dir = filepath.Clean(dir)
	parent := filepath.Base(dir)
	// Docker: the folder is the container's id, the file is named after it.
	if isContainerID(parent) && strings.HasPrefix(name, parent+"-json.log") {
		return map[string]any{"container": map[string]any{"id": parent}}
	}
	// Kubernetes' symlinks: pod_namespace_container-id.log. Pod and
	// namespace names are DNS labels or subdomains: no '_'.
	if base, ok := strings.CutSuffix(name, ".log"); ok {
		if parts := strings.Split(base, "_"); len(parts) == 3 {
			if i := strings.LastIndexByte(parts[2], '-'); i > 0 && isContainerID(parts[2][i+1:]) && parts[0] != "" && parts[1] != "" {
				return map[string]any{
					"container": map[string]any{"id": parts[2][i+1:]},
					"kubernetes": map[string]any{
						"pod":       map[string]any{"name": parts[0]},
						"namespace": parts[1],
						"container": map[string]any{"name": parts[2][:i]},
					},
				}
			}
		}
	}
	// The kubelet's own layout: namespace_pod_uid/container/restarts.log.
	if strings.Contains(name, ".log") {
		podDir := filepath.Base(filepath.Dir(dir))
		if parts := strings.Split(podDir, "_"); len(parts) == 3 && parts[0] != "" && parts[1] != "" && parts[2] != "" && parent != "" && parent != "." && parent != string(filepath.Separator) {
			return map[string]any{"kubernetes": map[string]any{
				"namespace": parts[0],
				"pod":       map[string]any{"name": parts[1], "uid": parts[2]},
				"container": map[string]any{"name": parent},
			}}
		}
	}
	return nil
}

// isContainerID reports whether s is a container id: 64 lowercase hex
// digits.
func isContainerID(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}
