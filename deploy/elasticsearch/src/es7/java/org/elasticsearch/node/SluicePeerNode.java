package org.elasticsearch.node;

import java.util.List;

import org.elasticsearch.env.Environment;
import org.elasticsearch.transport.Netty4Plugin;

/**
 * Makes the embedded 7.x node: Node's constructor taking classpath plugins
 * is protected, so a subclass passes the Netty4 HTTP/transport module.
 */
public final class SluicePeerNode extends Node {

    private SluicePeerNode(Environment environment) {
        super(environment, List.of(Netty4Plugin.class), true);
    }

    /** Nothing to do in 7.x: log4j finds log4j2.properties on the class path. */
    public static void configureLogging() {}

    /** A node of env with the Netty4 module, not yet started. */
    public static Node create(Environment env) {
        return new SluicePeerNode(env);
    }
}
