package org.peregrine.testing;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.opensearch.action.admin.cluster.health.ClusterHealthResponse;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.unit.TimeValue;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.node.InternalSettingsPreparer;
import org.opensearch.node.Node;
import org.opensearch.plugins.Plugin;
import org.opensearch.transport.Netty4Plugin;
import org.opensearch.transport.TransportService;

/**
 * One embedded OpenSearch node on 127.0.0.1 for the router's integration tests.
 *
 * <p>Why not the distribution: it is not on any registry this project may use. Why not OpenSearch's test
 * framework: it needs randomized-testing runners. Node's constructor that takes classpath plugins is protected, so
 * a tiny subclass is enough. Nothing goes through Bootstrap: no security manager, no jar-hell or bootstrap checks.
 *
 * <p>Usage: {@code OpenSearchNode --home DIR --port-file FILE [--http-port N]}. The port file ({@code http=PORT}
 * then {@code transport=PORT}) is written atomically once HTTP is bound and the cluster is at least yellow.
 * SIGTERM/SIGINT close the node and exit 0.
 */
public final class OpenSearchNode {
    private static final String CLUSTER_NAME = "peregrine-test";
    private static final TimeValue HEALTH_TIMEOUT = TimeValue.timeValueSeconds(60);

    /** Node's classpath-plugin constructor is protected. */
    private static final class EmbeddedNode extends Node {
        EmbeddedNode(Environment environment, Collection<Class<? extends Plugin>> plugins) {
            super(environment, plugins, true);
        }
    }

    private record Options(Path home, Path portFile, int httpPort) {}

    private OpenSearchNode() {}

    public static void main(String[] args) {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println("opensearch-node: " + e.getMessage());
            System.err.println("usage: OpenSearchNode --home DIR --port-file FILE [--http-port N]");
            System.exit(2);
            return;
        }
        try {
            run(options);
        } catch (Throwable t) {
            System.err.println("opensearch-node: failed: " + t);
            t.printStackTrace(System.err);
            // Node threads are not daemons: leave explicitly so a failed start never hangs the test.
            Runtime.getRuntime().halt(1);
        }
    }

    private static Options parse(String[] args) {
        Path home = null;
        Path portFile = null;
        int httpPort = 0;
        for (int i = 0; i < args.length; i++) {
            String flag = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + flag);
            }
            String value = args[++i];
            switch (flag) {
                case "--home" -> home = Path.of(value).toAbsolutePath();
                case "--port-file" -> portFile = Path.of(value).toAbsolutePath();
                case "--http-port" -> {
                    try {
                        httpPort = Integer.parseInt(value);
                    } catch (NumberFormatException e) {
                        throw new IllegalArgumentException("--http-port wants a number, got '" + value + "'");
                    }
                    if (httpPort < 0 || httpPort > 65535) {
                        throw new IllegalArgumentException("--http-port out of range: " + httpPort);
                    }
                }
                default -> throw new IllegalArgumentException("unknown argument " + flag);
            }
        }
        if (home == null || portFile == null) {
            throw new IllegalArgumentException("--home and --port-file are required");
        }
        return new Options(home, portFile, httpPort);
    }

    private static Settings settings(Options options) {
        return Settings.builder()
            .put("path.home", options.home().toString())
            .put("path.data", options.home().resolve("data").toString())
            .put("path.logs", options.home().resolve("logs").toString())
            .put("cluster.name", CLUSTER_NAME)
            .put("node.name", "peregrine-test-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", Integer.toString(options.httpPort()))
            .put("transport.port", "0")
            .put("http.type", "netty4")
            .put("transport.type", "netty4")
            .put("discovery.type", "single-node")
            // A nearly full CI disk would otherwise turn every index read-only mid-test.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .put("logger.level", System.getProperty("peregrine.opensearch.log", "WARN"))
            .build();
    }

    private static void run(Options options) throws Exception {
        // First, so that a test stopping the node while it starts still sees exit status 0.
        installExitOnSignal("TERM");
        installExitOnSignal("INT");
        Files.createDirectories(options.home().resolve("data"));
        Files.createDirectories(options.home().resolve("logs"));
        Settings settings = settings(options);
        LogConfigurator.configureWithoutConfig(settings);
        Environment environment =
            InternalSettingsPreparer.prepareEnvironment(settings, Map.of(), null, () -> "peregrine-test-node");

        Node node = new EmbeddedNode(environment, List.of(Netty4Plugin.class, CommonAnalysisPlugin.class));
        CountDownLatch closed = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> close(node, closed), "opensearch-node-shutdown"));

        node.start();
        ClusterHealthResponse health = node.client().admin().cluster().prepareHealth()
            .setWaitForYellowStatus()
            .setTimeout(HEALTH_TIMEOUT)
            .get();
        if (health.isTimedOut()) {
            throw new IllegalStateException("cluster not yellow after " + HEALTH_TIMEOUT + ": " + health.getStatus());
        }
        int httpPort = node.injector().getInstance(HttpServerTransport.class)
            .boundAddress().publishAddress().getPort();
        int transportPort = node.injector().getInstance(TransportService.class)
            .boundAddress().publishAddress().getPort();
        writeAtomically(options.portFile(), "http=" + httpPort + "\ntransport=" + transportPort + "\n");
        System.out.println("opensearch-node: ready http=127.0.0.1:" + httpPort + " health=" + health.getStatus());
        System.out.flush();
        closed.await();
    }

    /**
     * The JVM exits 143 on SIGTERM by default; a test that stops the node on purpose wants 0. System.exit runs
     * the shutdown hook, which closes the node.
     */
    @SuppressWarnings("removal")
    private static void installExitOnSignal(String name) {
        sun.misc.Signal.handle(new sun.misc.Signal(name), signal -> System.exit(0));
    }

    private static void close(Node node, CountDownLatch closed) {
        try {
            node.close();
            if (!node.awaitClose(20, TimeUnit.SECONDS)) {
                System.err.println("opensearch-node: node did not close within 20 s");
            }
        } catch (IOException | InterruptedException | RuntimeException e) {
            System.err.println("opensearch-node: close failed: " + e);
        } finally {
            closed.countDown();
        }
    }

    /** Write then rename, so a reader never sees a half-written file. */
    private static void writeAtomically(Path target, String content) throws IOException {
        Path parent = target.toAbsolutePath().getParent();
        Files.createDirectories(parent);
        Path tmp = Files.createTempFile(parent, target.getFileName().toString(), ".tmp");
        try (PrintStream out = new PrintStream(Files.newOutputStream(tmp), false, StandardCharsets.UTF_8)) {
            out.print(content);
        }
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    }
}
