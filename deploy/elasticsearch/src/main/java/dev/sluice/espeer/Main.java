package dev.sluice.espeer;

import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.node.SluicePeerNode;

/**
 * Starts one embedded Elasticsearch node (7.17, 8.17 or 9.0) for tests:
 * single-node discovery, HTTP and transport on 127.0.0.1, all files under the
 * data directory. Only the server and its Netty4 module are on the class
 * path: no x-pack, so no security (8.x and 9.x enable it only through
 * x-pack), which is what a plain HTTP test node needs.
 *
 * <p>Usage: Main --port PORT --data DIR [--transport-port PORT]
 *
 * <p>Running the node in-process (instead of through Elasticsearch's Bootstrap)
 * skips the "cannot run as root" check and the production bootstrap checks.
 * The node stops cleanly on SIGTERM through a shutdown hook.
 */
public final class Main {

    public static void main(String[] args) throws Exception {
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

        SluicePeerNode.configureLogging();
        Path home = Path.of(data).toAbsolutePath();
        Settings settings = Settings.builder()
                .put("cluster.name", "sluice-test")
                .put("node.name", "sluice-peer")
                .put("path.home", home.toString())
                .put("path.data", home.resolve("data").toString())
                .put("path.logs", home.resolve("logs").toString())
                .put("discovery.type", "single-node")
                .put("network.host", "127.0.0.1")
                .put("http.port", port)
                .put("transport.port", transportPort)
                .put("action.auto_create_index", true)
                // Tests run on small disks; do not go read-only at 90% usage.
                .put("cluster.routing.allocation.disk.threshold_enabled", false)
                .build();

        // Logging is configured by log4j2.properties on the classpath (stdout).
        Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), null, () -> "sluice-peer");
        // How a node is made with the Netty4 module differs by major version:
        // SluicePeerNode is in src/es<major>/java.
        Node node = SluicePeerNode.create(env);

        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                node.close();
                node.awaitClose(20, TimeUnit.SECONDS);
            } catch (Exception e) {
                e.printStackTrace();
            } finally {
                stopped.countDown();
            }
        }, "sluice-peer-shutdown"));

        node.start();
        System.out.println("sluice-es-peer: started, http on 127.0.0.1:" + port);
        stopped.await();
    }

    private static void usage(String problem) {
        System.err.println("sluice-es-peer: " + problem);
        System.err.println("usage: Main --port PORT --data DIR [--transport-port PORT]");
        System.exit(2);
    }
}
