package io.pgingest.pipeline;

import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;

import java.util.LinkedHashMap;
import java.util.Map;


/**
 * The route template {@code pg-ingest}: one pipeline, from its source endpoint through the
 * shared processors to its destination. A YAML file instantiates it with
 * {@code templatedRoute: {routeTemplateRef: pg-ingest, parameters: [...]}}; the parameters
 * are the {@link PipelineSettings#KEYS} plus {@code pipeline} (required) and
 * {@code destination} (a Camel endpoint URI, default a DuckDB file).
 * <p>The same flow written as a plain route:
 * {@code from pgingest:<name>?... -> process pgTypeMapping -> process pgNaming -> to <destination> -> process pgBilling}.
 */
public class PipelineTemplates extends RouteBuilder {

    public static final String TEMPLATE_ID = "pg-ingest";
    public static final String DEFAULT_DESTINATION = "pgingest-duckdb:data/pg-ingest.duckdb";

    /** Name of the template-local bean holding the pipeline's parameters as a {@code Map<String, String>}. */
    public static final String OPTIONS_BEAN = "pgingestOptions";

    @Override
    public void configure() {
        var template = routeTemplate(TEMPLATE_ID)
                .templateParameter("pipeline", null, "Unique pipeline name, 1-255 characters")
                .templateParameter("destination", DEFAULT_DESTINATION, "Destination endpoint URI");
        for (String key : PipelineSettings.KEYS.stream().sorted().toList()) {
            template.templateOptionalParameter(key, "See README, pipeline settings");
        }
        // Parameters reach the endpoint as a bean, not in its URI: passwords, quotes and
        // multi-line object lists then need no URI encoding.
        template.templateBean(OPTIONS_BEAN, Map.class, rtc -> options(rtc.getCamelContext(), rtc.getParameters()));
        template.route()
                .from("pgingest:{{pipeline}}?options=#{{" + OPTIONS_BEAN + "}}")
                .process("pgTypeMapping")
                .process("pgNaming")
                .to("{{destination}}")
                .process("pgBilling");
    }

    /**
     * The pipeline's parameters with property placeholders ({@code {{env:PGHOST:localhost}}}) resolved. A parameter that
     * is not a setting (a misspelt {@code batchSzie}) is passed on too, for {@link PipelineSettings#parse} to reject
     * naming it: dropped here, it ran the pipeline with that setting's default without a word.
     */
    private static Map<String, String> options(CamelContext context, Map<String, Object> parameters) {
        Map<String, String> options = new LinkedHashMap<>();
        parameters.forEach((k, v) -> {
            if (v != null && !k.equals("pipeline") && !k.equals("destination")) {
                options.put(k, context.resolvePropertyPlaceholders(v.toString()));
            }
        });
        return options;
    }
}
