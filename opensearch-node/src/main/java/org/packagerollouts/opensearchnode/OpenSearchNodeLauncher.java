package org.packagerollouts.opensearchnode;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.List;
import org.opensearch.analysis.common.CommonAnalysisPlugin;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.logging.LogConfigurator;
import org.opensearch.common.settings.Settings;
import org.opensearch.core.common.transport.TransportAddress;
import org.opensearch.env.Environment;
import org.opensearch.http.HttpServerTransport;
import org.opensearch.index.analysis.AnalysisRegistry;
import org.opensearch.indices.IndicesService;
import org.opensearch.node.Node;
import org.opensearch.transport.Netty4Plugin;

/**
 * Starts one real OpenSearch node in this JVM for package-rollouts' tests and demo.
 *
 * <p>Usage: {@code OpenSearchNodeLauncher <home> <data>}. The node is the real engine (core,
 * Lucene, the Netty HTTP transport and the common analysis filters) with one addition: a stand-in
 * for the index-management plugin's {@code _plugins/_refresh_search_analyzers} route (see {@link
 * RefreshSearchAnalyzersStandInPlugin}), because that plugin is not published to Maven Central.
 *
 * <p>Once HTTP is bound it prints one line on stdout, {@code OPENSEARCH_NODE_READY
 * {"http":"127.0.0.1:<port>"}}, for the process that started it. Logs go to stderr. The node
 * stops when stdin reaches end of file (the parent went away) or on SIGTERM.
 */
public final class OpenSearchNodeLauncher {
  public static final String READY_PREFIX = "OPENSEARCH_NODE_READY ";

  /** Node's constructor with an explicit plugin list is protected: this subclass opens it. */
  static final class PluginNode extends Node {
    PluginNode(Environment environment) {
      super(
          environment,
          List.of(
              Netty4Plugin.class,
              CommonAnalysisPlugin.class,
              RefreshSearchAnalyzersStandInPlugin.class),
          true);
    }
  }

  private OpenSearchNodeLauncher() {}

  public static void main(String[] args) throws Exception {
    if (args.length != 2) {
      System.err.println("usage: OpenSearchNodeLauncher <home dir> <data dir>");
      System.exit(2);
    }
    Path home = Paths.get(args[0]).toAbsolutePath();
    Path data = Paths.get(args[1]).toAbsolutePath();
    // Analyzer files named by relative path (synonyms_path: analyzers/F1) resolve under here.
    Files.createDirectories(home.resolve("config"));
    Files.createDirectories(data);

    Settings settings =
        Settings.builder()
            .put("path.home", home.toString())
            .put("path.data", data.toString())
            .put("cluster.name", "package-rollouts-test")
            .put("node.name", "node-" + ProcessHandle.current().pid())
            .put("discovery.type", "single-node")
            .put("network.host", "127.0.0.1")
            .put("http.port", "0")
            .put("transport.port", "0")
            // A test machine's disk may be fuller than a server's; never block allocation for it.
            .put("cluster.routing.allocation.disk.threshold_enabled", false)
            .build();
    Path log4jConfig = home.resolve("config").resolve("log4j2.properties");
    if (!Files.exists(log4jConfig)) {
      try (InputStream in = OpenSearchNodeLauncher.class.getResourceAsStream("/log4j2.properties")) {
        Files.copy(in, log4jConfig);
      }
    }
    Environment environment = new Environment(settings, home.resolve("config"));
    LogConfigurator.setNodeName(settings.get("node.name"));
    LogConfigurator.configure(environment);

    Node node = new PluginNode(environment);
    RefreshSearchAnalyzersStandInPlugin.bind(
        node.injector().getInstance(ClusterService.class),
        node.injector().getInstance(IndicesService.class),
        node.injector().getInstance(AnalysisRegistry.class));
    Runtime.getRuntime().addShutdownHook(new Thread(() -> closeQuietly(node), "node-shutdown"));
    node.start();

    TransportAddress http =
        node.injector().getInstance(HttpServerTransport.class).boundAddress().publishAddress();
    // The log configuration routes System.out into the log: write to the real stdout directly.
    PrintStream stdout = new PrintStream(new FileOutputStream(FileDescriptor.out), true, "UTF-8");
    stdout.println(
        READY_PREFIX + "{\"http\":\"" + http.getAddress() + ":" + http.getPort() + "\"}");

    waitForEndOfInput(System.in);
    System.exit(0); // runs the shutdown hook, which closes the node
  }

  private static void waitForEndOfInput(InputStream in) {
    byte[] buffer = new byte[256];
    try {
      while (in.read(buffer) >= 0) {
        // discard: stdin only tells us the parent is still there
      }
    } catch (IOException ignored) {
      // a broken pipe means the same as end of input
    }
  }

  private static void closeQuietly(Node node) {
    try {
      node.close();
    } catch (IOException | RuntimeException e) {
      System.err.println("closing the node: " + e);
    }
  }
}
