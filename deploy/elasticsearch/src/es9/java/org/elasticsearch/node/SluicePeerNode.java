package org.elasticsearch.node;

import java.util.List;

import org.elasticsearch.common.logging.LogConfigurator;
import org.elasticsearch.env.Environment;
import org.elasticsearch.plugins.ClasspathPluginsService;
import org.elasticsearch.plugins.PluginsLoader;
import org.elasticsearch.plugins.PluginsService;
import org.elasticsearch.transport.netty4.Netty4Plugin;

import dev.sluice.espeer.RootPlugin;

/**
 * Makes the embedded 9.x node: as in 8.x (NodeConstruction, plugins from
 * NodeServiceProvider's package-private newPluginService), with the
 * PluginsLoader 9.0 added, here one that has loaded no module or plugin
 * directory.
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
        PluginsLoader none = ClasspathPluginsService.noPlugins();
        NodeServiceProvider services = new NodeServiceProvider() {
            @Override
            PluginsService newPluginService(Environment environment, PluginsLoader loader) {
                return new ClasspathPluginsService(environment.settings(), environment.configDir(), loader,
                        List.of(Netty4Plugin.class, RootPlugin.class));
            }
        };
        return new Node(NodeConstruction.prepareConstruction(env, none, services, true));
    }
}
