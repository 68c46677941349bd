package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;

/**
 * A PluginsService whose plugins are classes on the class path instead of
 * module and plugin directories (9.x: the loader given loads none). It
 * lives in Elasticsearch's package for the package-private LoadedPlugin.
 */
public final class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, Path configDir, PluginsLoader loader,
            List<Class<? extends Plugin>> classes) {
        super(settings, configDir, loader);
        List<LoadedPlugin> plugins = new ArrayList<>();
        for (Class<? extends Plugin> c : classes) {
            Plugin plugin = loadPlugin(c, settings, configDir);
            plugins.add(new LoadedPlugin(descriptor(c), plugin, c.getClassLoader()));
        }
        loaded = List.copyOf(plugins);
        loadExtensions(loaded);
    }

    /**
     * A loader of no module and no plugin. Not createPluginsLoader: it
     * fails on a server run from the class path (an unnamed module with no
     * descriptor, whose exports it reads).
     */
    public static PluginsLoader noPlugins() {
        return new PluginsLoader(Set.of(), Set.of(), Map.of());
    }

    /** What a plugin's descriptor file would say of a classpath plugin. */
    private static PluginDescriptor descriptor(Class<? extends Plugin> c) {
        return new PluginDescriptor(c.getName(), "classpath plugin", "NA", Build.current().version(),
                Runtime.version().feature() + "", c.getName(), null, List.of(), false, false, false, false);
    }

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
