package dev.sluice.ospeer;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.common.settings.Settings;
import org.opensearch.env.Environment;
import org.opensearch.ingest.common.IngestCommonPlugin;
import org.opensearch.ingest.useragent.IngestUserAgentPlugin;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.painless.PainlessPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.script.mustache.MustachePlugin;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one embedded OpenSearch node for tests: single-node discovery, HTTP
 * and transport on 127.0.0.1, all files under the data directory, and the
 * ingest modules (ingest-common, ingest-user-agent, Painless, Mustache) as
 * classpath plugins.
 *
 * <p>Usage: Main --port PORT --data DIR [--transport-port PORT]
 *
 * <p>Running the node in-process (instead of through OpenSearch's Bootstrap)
 * skips the "cannot run as root" check and the production bootstrap checks.
 * The node stops cleanly on SIGTERM through a shutdown hook.
 */
public final class Main {

    /** Node's constructor taking classpath plugins is protected. */
    private static final class PeerNode extends Node {
        PeerNode(Environment environment, List<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

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

        Path home = Path.of(data).toAbsolutePath();
        // ingest-user-agent refuses to start without its (here empty)
        // directory of extra regex files under the config directory.
        Files.createDirectories(home.resolve("config").resolve("ingest-user-agent"));
        Settings settings = Settings.builder()
                .put("cluster.name", "sluice-test")
                .put("node.name", "sluice-os-peer")
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
                settings, Map.of(), home.resolve("config"), () -> "sluice-os-peer");
        Node node = new PeerNode(env, List.of(
                Netty4Plugin.class,
                IngestCommonPlugin.class,
                IngestUserAgentPlugin.class,
                PainlessPlugin.class,
                MustachePlugin.class));

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
        }, "sluice-os-peer-shutdown"));

        node.start();
        System.out.println("sluice-os-peer: started, http on 127.0.0.1:" + port);
        stopped.await();
    }

    private static void usage(String problem) {
        System.err.println("sluice-os-peer: " + problem);
        System.err.println("usage: Main --port PORT --data DIR [--transport-port PORT]");
        System.exit(2);
    }
}
