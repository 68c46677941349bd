package org.elasticsearch.node;

import java.util.List;

import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import dev.sluice.espeer.RootPlugin;

/**
 * Makes the embedded 8.x node. Since 8.10 a node is built by
 * NodeConstruction, whose plugins come from NodeServiceProvider's
 * package-private newPluginService: this class lives in Elasticsearch's
 * package (the jars are on the class path, so the package is not sealed)
 * to hand it the Netty4 module as a classpath plugin.
 */
public final class SluicePeerNode {

    private SluicePeerNode() {}

    /**
     * Binds Elasticsearch's logging API to log4j (configured by the
     * log4j2.properties on the class path), as its bootstrap would: without
     * it the first logger is null. Call it before anything else.
     */
    public static void configureLogging() {
        LogConfigurator.configureESLogging();
    }

    /** A node of env with the Netty4 module, not yet started. */
    public static Node create(Environment env) {
        NodeServiceProvider services = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, Settings settings) {
                return new ClasspathPluginsService(settings, environment.configFile(), List.of(Netty4Plugin.class, RootPlugin.class));
            }
        };
        return new Node(NodeConstruction.prepareConstruction(env, services, true));
    }
}
