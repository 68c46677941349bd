package dev.sluice.ospeer;

import java.nio.file.Files;
import java.util.List;
import java.util.Map;

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

import dev.sluice.peer.Launcher;

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
        Launcher launcher = new Launcher("sluice-os-peer");
        Launcher.Args a = launcher.parse(args);
        // ingest-user-agent refuses to start without its (here empty)
        // directory of extra regex files under the config directory.
        Files.createDirectories(a.home().resolve("config").resolve("ingest-user-agent"));
        Settings settings = Settings.builder().loadFromMap(launcher.settings(a, "sluice-os-peer")).build();

        // Logging is configured by log4j2.properties on the classpath (stdout).
        Environment env = InternalSettingsPreparer.prepareEnvironment(
                settings, Map.of(), a.home().resolve("config"), () -> "sluice-os-peer");
        Node node = new PeerNode(env, List.of(
                Netty4Plugin.class,
                IngestCommonPlugin.class,
                IngestUserAgentPlugin.class,
                PainlessPlugin.class,
                MustachePlugin.class));
        launcher.run(a, node::start, node::close, node::awaitClose);
    }
}
