package org.packagerollouts.opensearchnode;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.opensearch.action.support.IndicesOptions;
import org.opensearch.client.node.NodeClient;
import org.opensearch.cluster.ClusterState;
import org.opensearch.cluster.metadata.IndexNameExpressionResolver;
import org.opensearch.cluster.node.DiscoveryNodes;
import org.opensearch.cluster.routing.ShardRouting;
import org.opensearch.cluster.service.ClusterService;
import org.opensearch.common.settings.ClusterSettings;
import org.opensearch.common.settings.IndexScopedSettings;
import org.opensearch.common.settings.Settings;
import org.opensearch.common.settings.SettingsFilter;
import org.opensearch.core.action.support.DefaultShardOperationFailedException;
import org.opensearch.core.common.Strings;
import org.opensearch.core.rest.RestStatus;
import org.opensearch.core.xcontent.ToXContent;
import org.opensearch.core.xcontent.XContentBuilder;
import org.opensearch.index.IndexService;
import org.opensearch.index.analysis.AnalysisRegistry;
import org.opensearch.index.shard.IndexShard;
import org.opensearch.indices.IndicesService;
import org.opensearch.plugins.ActionPlugin;
import org.opensearch.plugins.Plugin;
import org.opensearch.rest.BaseRestHandler;
import org.opensearch.rest.BytesRestResponse;
import org.opensearch.rest.RestController;
import org.opensearch.rest.RestHandler;
import org.opensearch.rest.RestRequest;
import org.opensearch.rest.action.RestActions;
import org.opensearch.threadpool.ThreadPool;

/**
 * TEST-ONLY STAND-IN for one route of OpenSearch's index-management plugin: {@code POST
 * /_plugins/_refresh_search_analyzers/{index}}. That plugin is what serves the route on Amazon
 * OpenSearch Service, but it is not published to Maven Central, so this launcher serves the same
 * route itself. Everything else on the node is the real engine.
 *
 * <p>Behaviour follows the real plugin: the index expression resolves like a broadcast request
 * (wildcards expand to open indexes; a closed index named explicitly is an error); every copy of
 * every shard counts in {@code _shards.total}; each started shard on this node reloads its
 * search analyzers with core's {@code MapperService.reloadSearchAnalyzers} (only analyzers whose
 * filters are {@code updateable} are rebuilt); a shard whose reload throws (say the new file does
 * not parse) counts in {@code _shards.failed} with its reason, keeps its old analyzers, and its
 * index is left out of {@code successful_refresh_details}. Unassigned copies (replicas on a
 * single node) count in the total only. The answer has the plugin's shape: {@code
 * {"_shards":{total,successful,failed[,failures]},"successful_refresh_details":[{index,
 * refreshed_analyzers}]}}.
 */
public class RefreshSearchAnalyzersStandInPlugin extends Plugin implements ActionPlugin {
  private static volatile ClusterService clusterService;
  private static volatile IndicesService indicesService;
  private static volatile AnalysisRegistry analysisRegistry;

  /** Node services the route needs; the launcher hands them over once the node is built. */
  static void bind(ClusterService cluster, IndicesService indices, AnalysisRegistry registry) {
    clusterService = cluster;
    indicesService = indices;
    analysisRegistry = registry;
  }

  @Override
  public List<RestHandler> getRestHandlers(
      Settings settings,
      RestController restController,
      ClusterSettings clusterSettings,
      IndexScopedSettings indexScopedSettings,
      SettingsFilter settingsFilter,
      IndexNameExpressionResolver resolver,
      Supplier<DiscoveryNodes> nodesInCluster) {
    return List.of(new Handler(resolver));
  }

  private static final class Handler extends BaseRestHandler {
    private final IndexNameExpressionResolver resolver;

    Handler(IndexNameExpressionResolver resolver) {
      this.resolver = resolver;
    }

    @Override
    public String getName() {
      return "refresh_search_analyzers_stand_in";
    }

    @Override
    public List<Route> routes() {
      return List.of(
          new Route(RestRequest.Method.POST, "/_plugins/_refresh_search_analyzers/{index}"));
    }

    @Override
    protected RestChannelConsumer prepareRequest(RestRequest request, NodeClient client) {
      String[] expressions = Strings.splitStringByCommaToArray(request.param("index"));
      if (expressions.length == 0) throw new IllegalArgumentException("Missing indices");
      // Reading analyzer files is blocking I/O: off the network thread, as a transport action is.
      return channel ->
          client
              .threadPool()
              .executor(ThreadPool.Names.MANAGEMENT)
              .execute(
                  () -> {
                    try {
                      XContentBuilder body = channel.newBuilder();
                      refresh(expressions, body);
                      channel.sendResponse(new BytesRestResponse(RestStatus.OK, body));
                    } catch (Exception e) {
                      try {
                        channel.sendResponse(new BytesRestResponse(channel, e));
                      } catch (Exception inner) {
                        e.addSuppressed(inner);
                      }
                    }
                  });
    }

    private void refresh(String[] expressions, XContentBuilder body) throws Exception {
      ClusterState state = clusterService.state();
      String[] indices =
          resolver.concreteIndexNames(
              state, IndicesOptions.strictExpandOpenAndForbidClosed(), expressions);
      String localNode = state.nodes().getLocalNodeId();
      int total = 0;
      int successful = 0;
      List<DefaultShardOperationFailedException> failures = new ArrayList<>();
      Map<String, List<String>> reloaded = new LinkedHashMap<>();
      for (ShardRouting shard : state.routingTable().allShards(indices)) {
        total++;
        if (!shard.assignedToNode() || !localNode.equals(shard.currentNodeId())) continue;
        String index = shard.getIndexName();
        try {
          IndexService indexService = indicesService.indexServiceSafe(shard.index());
          IndexShard indexShard = indexService.getShardOrNull(shard.id());
          if (indexShard == null) throw new IllegalStateException("shard not started yet");
          List<String> names = indexShard.mapperService().reloadSearchAnalyzers(analysisRegistry);
          reloaded.putIfAbsent(index, names);
          successful++;
        } catch (Exception e) {
          failures.add(new DefaultShardOperationFailedException(index, shard.id(), e));
        }
      }
      for (DefaultShardOperationFailedException failure : failures) {
        reloaded.remove(failure.index());
      }

      body.startObject();
      RestActions.buildBroadcastShardsHeader(
          body,
          ToXContent.EMPTY_PARAMS,
          total,
          successful,
          -1,
          failures.size(),
          failures.toArray(new DefaultShardOperationFailedException[0]));
      body.startArray("successful_refresh_details");
      for (Map.Entry<String, List<String>> entry : reloaded.entrySet()) {
        body.startObject().field("index", entry.getKey()).startArray("refreshed_analyzers");
        for (String analyzer : entry.getValue()) body.value(analyzer);
        body.endArray().endObject();
      }
      body.endArray();
      body.endObject();
    }
  }
}
