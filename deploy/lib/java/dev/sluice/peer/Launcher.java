package dev.sluice.peer;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/**
 * What the embedded Java test peers (deploy/elasticsearch, deploy/opensearch)
 * share: their command line, the settings of a single-node test cluster on
 * 127.0.0.1, and running a node until SIGTERM. Compiled into each peer's
 * launcher (its pom.xml lists deploy/lib/java as a source root), so it uses
 * neither server's classes.
 */
public final class Launcher {

    /** The command line: Main --port PORT --data DIR [--transport-port PORT]. */
    public record Args(String port, Path home, String transportPort) {}

    /** A step of a node's life: Node::start, Node::close. */
    public interface Step {
        void run() throws Exception;
    }

    /** Node::awaitClose. */
    public interface AwaitClose {
        boolean await(long timeout, TimeUnit unit) throws InterruptedException;
    }

    private final String name;

    /** name is the launcher's, in its messages (sluice-es-peer). */
    public Launcher(String name) {
        this.name = name;
    }

    /** Parses the command line; exits with a usage message if it is wrong. */
    public Args parse(String[] args) {
        String port = null;
        String data = null;
        String transportPort = "0"; // 0: an ephemeral port
        for (int i = 0; i < args.length; i += 2) {
            if (i + 1 >= args.length) {
                usage("missing value for " + args[i]);
            }
            String value = args[i + 1];
            switch (args[i]) {
                case "--port" -> port = value;
                case "--data" -> data = value;
                case "--transport-port" -> transportPort = value;
                default -> usage("unknown argument " + args[i]);
            }
        }
        if (port == null || data == null) {
            usage("--port and --data are required");
        }
        return new Args(port, Path.of(data).toAbsolutePath(), transportPort);
    }

    /**
     * The node's settings: single-node discovery, HTTP on 127.0.0.1:port,
     * everything under the data directory.
     */
    public Map<String, String> settings(Args a, String nodeName) {
        Map<String, String> s = new LinkedHashMap<>();
        s.put("cluster.name", "sluice-test");
        s.put("node.name", nodeName);
        s.put("path.home", a.home().toString());
        s.put("path.data", a.home().resolve("data").toString());
        s.put("path.logs", a.home().resolve("logs").toString());
        s.put("discovery.type", "single-node");
        s.put("network.host", "127.0.0.1");
        s.put("http.port", a.port());
        s.put("transport.port", a.transportPort());
        s.put("action.auto_create_index", "true");
        // Tests run on small disks; do not go read-only at 90% usage.
        s.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        return s;
    }

    /**
     * Starts a node and returns when SIGTERM has closed it (waiting up to
     * 20 s for it to be closed).
     */
    public void run(Args a, Step start, Step close, AwaitClose awaitClose) throws Exception {
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                close.run();
                awaitClose.await(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, name + "-shutdown"));
        start.run();
        System.out.println(name + ": started, http on 127.0.0.1:" + a.port());
        stopped.await();
    }

    private void usage(String problem) {
        System.err.println(name + ": " + problem);
        System.err.println("usage: Main --port PORT --data DIR [--transport-port PORT]");
        System.exit(2);
    }
}
