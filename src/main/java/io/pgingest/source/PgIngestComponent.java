package io.pgingest.source;

import io.pgingest.billing.BillingCounters;
import io.pgingest.connect.SshTunnels;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.RunOnce;
import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.LazyStateStore;
import io.pgingest.state.StateStore;
import org.apache.camel.CamelContext;
import org.apache.camel.Endpoint;
import org.apache.camel.support.DefaultComponent;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The {@code pgingest:} component: {@code pgingest:<pipeline>?mode=table&host=...} is the
 * source endpoint of one pipeline (the route template passes its parameters as a map bean,
 * {@code options=#pgingestOptions}). Options are validated when the consumer starts, so that
 * errors can name the route file. Uses the {@link StateStore} and {@link BillingCounters}
 * found in the registry, else opens the state store named by {@code pgingest.state.url}.
 */
public class PgIngestComponent extends DefaultComponent {

    public static final String DEFAULT_STATE_URL = "jdbc:h2:file:./data/pg-ingest-state";

    private final Map<String, String> pipelines = new ConcurrentHashMap<>();
    private StateStore stateStore;
    private BillingCounters billing;
    private boolean ownsStateStore;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) {
        Map<String, String> options = new LinkedHashMap<>();
        Map<?, ?> fromTemplate = resolveAndRemoveReferenceParameter(parameters, "options", Map.class);
        if (fromTemplate != null) {
            fromTemplate.forEach((k, v) -> options.put(k.toString(), v == null ? null : v.toString()));
        }
        parameters.forEach((k, v) -> options.put(k, v == null ? null : unwrapRaw(v.toString())));
        parameters.clear();
        return new PgIngestEndpoint(uri, this, remaining, options);
    }

    /** Records a pipeline name; a second pipeline with the same name is a configuration error. */
    void register(String pipeline, String location) {
        String previous = pipelines.putIfAbsent(pipeline, location == null ? "?" : location);
        if (previous != null) {
            throw new PipelineConfigException(pipeline, "pipeline", "the name is used by two pipelines ("
                    + previous + " and " + location + "); pipeline names must be unique");
        }
    }

    void unregister(String pipeline) {
        pipelines.remove(pipeline);
    }

    /** The state store in the registry, else the one named by {@code pgingest.state.url} (opened on first use). */
    public synchronized StateStore stateStore() {
        if (stateStore == null) {
            stateStore = getCamelContext().getRegistry().findSingleByType(StateStore.class);
            if (stateStore == null) {
                stateStore = new LazyStateStore(this::openDefaultStateStore);
                ownsStateStore = true;
            }
        }
        return stateStore;
    }

    synchronized BillingCounters billing() {
        if (billing == null) {
            billing = getCamelContext().getRegistry().findSingleByType(BillingCounters.class);
            if (billing == null) {
                billing = new BillingCounters(stateStore());
            }
        }
        return billing;
    }

    /** The run-once coordinator when the application runs with {@code --once}, else null. */
    RunOnce runOnce() {
        return getCamelContext().getRegistry().findSingleByType(RunOnce.class);
    }

    /** The state store's database as configured; logical-replication pipelines keep their Debezium offsets there. */
    public io.pgingest.source.logical.StateDatabase stateDatabase() {
        var ctx = getCamelContext();
        return new io.pgingest.source.logical.StateDatabase(
                stateUrl(ctx),
                ctx.resolvePropertyPlaceholders("{{pgingest.state.user:sa}}"),
                ctx.resolvePropertyPlaceholders("{{pgingest.state.password:}}"));
    }

    /** {@code pgingest.state.url} (default {@link #DEFAULT_STATE_URL}) as pg-ingest connects to it ({@link JdbcStateStore#connectionUrl}). */
    public static String stateUrl(CamelContext ctx) {
        return JdbcStateStore.connectionUrl(ctx.resolvePropertyPlaceholders("{{pgingest.state.url:" + DEFAULT_STATE_URL + "}}"));
    }

    private StateStore openDefaultStateStore() {
        var ctx = getCamelContext();
        String url = stateUrl(ctx);
        String user = ctx.resolvePropertyPlaceholders("{{pgingest.state.user:sa}}");
        String password = ctx.resolvePropertyPlaceholders("{{pgingest.state.password:}}");
        return JdbcStateStore.open(url, user, password);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        SshTunnels.retain();
    }

    @Override
    protected void doStop() throws Exception {
        SshTunnels.release();
        if (ownsStateStore && stateStore != null) {
            stateStore.close();
            stateStore = null;
        }
        super.doStop();
    }

    private static String unwrapRaw(String value) {
        if (value.startsWith("RAW(") && value.endsWith(")")) {
            return value.substring(4, value.length() - 1);
        }
        if (value.startsWith("RAW{") && value.endsWith("}")) {
            return value.substring(4, value.length() - 1);
        }
        return value;
    }
}
