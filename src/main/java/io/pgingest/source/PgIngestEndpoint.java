package io.pgingest.source;

import io.pgingest.pipeline.PipelineSettings;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.support.DefaultEndpoint;

import java.util.Map;

/** The source endpoint of one pipeline; consumer only. Settings are parsed on first use. */
public class PgIngestEndpoint extends DefaultEndpoint {

    private final String pipeline;
    private final Map<String, String> options;

    PgIngestEndpoint(String uri, PgIngestComponent component, String pipeline, Map<String, String> options) {
        super(uri, component);
        this.pipeline = pipeline;
        this.options = Map.copyOf(options.entrySet().stream().filter(e -> e.getValue() != null)
                .collect(java.util.stream.Collectors.toMap(Map.Entry::getKey, Map.Entry::getValue)));
    }

    /** Validates the options; throws {@link io.pgingest.pipeline.PipelineConfigException}. */
    public PipelineSettings settings() {
        return PipelineSettings.parse(pipeline, options);
    }

    public String pipelineName() {
        return pipeline;
    }

    @Override
    public PgIngestComponent getComponent() {
        return (PgIngestComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        throw new UnsupportedOperationException("pgingest: is a source; use it in 'from', not 'to'");
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        PipelineConsumer consumer = new PipelineConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    @Override
    public boolean isSingleton() {
        return false;
    }
}
