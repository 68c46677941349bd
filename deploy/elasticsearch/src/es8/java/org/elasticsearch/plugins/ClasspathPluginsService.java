package org.elasticsearch.plugins;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.elasticsearch.Build;
import org.elasticsearch.common.settings.Settings;
import org.elasticsearch.jdk.ModuleQualifiedExportsService;

/**
 * A PluginsService whose plugins are classes on the class path instead of
 * module and plugin directories (8.x). It lives in Elasticsearch's package
 * for the package-private LoadedPlugin.
 */
public final class ClasspathPluginsService extends PluginsService {

    private final List<LoadedPlugin> loaded;

    public ClasspathPluginsService(Settings settings, Path configDir, List<Class<? extends Plugin>> classes) {
        super(settings, configDir, null, null); // no modules or plugins directory
        List<LoadedPlugin> plugins = new ArrayList<>();
        for (Class<? extends Plugin> c : classes) {
            Plugin plugin = loadPlugin(c, settings, configDir);
            plugins.add(new LoadedPlugin(descriptor(c), plugin));
        }
        loaded = List.copyOf(plugins);
        loadExtensions(loaded);
    }

    /** What a plugin's descriptor file would say of a classpath plugin. */
    private static PluginDescriptor descriptor(Class<? extends Plugin> c) {
        return new PluginDescriptor(c.getName(), "classpath plugin", "NA", Build.current().version(),
                Runtime.version().feature() + "", c.getName(), null, List.of(), false, false, false, false);
    }

    /**
     * Nothing to export: the server runs from the class path, an unnamed
     * module with no descriptor, where the default fails.
     */
    @Override
    protected void addServerExportsService(Map<String, List<ModuleQualifiedExportsService>> exports) {}

    @Override
    protected List<LoadedPlugin> plugins() {
        return loaded;
    }
}
