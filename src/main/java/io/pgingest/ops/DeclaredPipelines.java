package io.pgingest.ops;

import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.source.PgIngestEndpoint;
import org.apache.camel.CamelContext;
import org.apache.camel.Route;

import java.util.Map;
import java.util.TreeMap;

/**
 * The pipelines the route files declare, found in a Camel context whose routes were created (templates instantiated,
 * placeholders resolved) but not started: the operator commands read each pipeline's settings, above all its source
 * connection, exactly as a run would.
 */
final class DeclaredPipelines {

    /** A declared pipeline: its settings, or the configuration error that stops it from running. */
    record Declared(String name, PipelineSettings settings, String error) {
    }

    private DeclaredPipelines() {
    }

    /** Every pipeline of the context's routes, by name. */
    static Map<String, Declared> of(CamelContext context) {
        Map<String, Declared> out = new TreeMap<>();
        for (Route route : context.getRoutes()) {
            if (route.getEndpoint() instanceof PgIngestEndpoint endpoint) {
                String name = endpoint.pipelineName();
                try {
                    out.putIfAbsent(name, new Declared(name, endpoint.settings(), null));
                } catch (PipelineConfigException e) {
                    out.putIfAbsent(name, new Declared(name, null, e.getMessage()));
                }
            }
        }
        return out;
    }
}
