package dev.sluice.espeer;

import java.util.Map;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.env.Environment;
import org.elasticsearch.node.InternalSettingsPreparer;
import org.elasticsearch.node.Node;
import org.elasticsearch.node.SluicePeerNode;

import dev.sluice.peer.Launcher;

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
        Launcher launcher = new Launcher("sluice-es-peer");
        Launcher.Args a = launcher.parse(args);
        SluicePeerNode.configureLogging();
        Settings settings = Settings.builder().loadFromMap(launcher.settings(a, "sluice-peer")).build();

        // Logging is configured by log4j2.properties on the classpath (stdout).
        Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), null, () -> "sluice-peer");
        // How a node is made with the Netty4 module differs by major version:
        // SluicePeerNode is in src/es<major>/java.
        Node node = SluicePeerNode.create(env);
        launcher.run(a, node::start, node::close, node::awaitClose);
    }
}
