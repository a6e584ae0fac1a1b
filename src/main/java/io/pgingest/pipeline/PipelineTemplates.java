package io.pgingest.pipeline;

import org.apache.camel.builder.RouteBuilder;

import java.util.stream.Collectors;

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

    @Override
    public void configure() {
        var template = routeTemplate(TEMPLATE_ID)
                .templateParameter("pipeline", null, "Unique pipeline name, 1-255 characters")
                .templateParameter("destination", DEFAULT_DESTINATION, "Destination endpoint URI");
        for (String key : PipelineSettings.KEYS.stream().sorted().toList()) {
            template.templateOptionalParameter(key, "See README, pipeline settings");
        }
        template.route()
                .from(sourceUri())
                .process("pgTypeMapping")
                .process("pgNaming")
                .to("{{destination}}")
                .process("pgBilling");
    }

    /**
     * {@code pgingest:{{pipeline}}?key=RAW({{key}})&...}: RAW keeps passwords, multi-line
     * object lists and quotes as written; optional parameters left out are dropped by Camel.
     */
    static String sourceUri() {
        return "pgingest:{{pipeline}}?" + PipelineSettings.KEYS.stream().sorted()
                .map(k -> k + "=RAW({{" + k + "}})")
                .collect(Collectors.joining("&"));
    }
}
