package io.pgingest;

import io.pgingest.billing.BillingCounters;
import io.pgingest.billing.BillingProcessor;
import io.pgingest.mapping.TypeMappingProcessor;
import io.pgingest.naming.NamingProcessor;
import io.pgingest.pipeline.PipelineTemplates;
import io.pgingest.source.PgIngestComponent;
import io.pgingest.state.JdbcStateStore;
import io.pgingest.state.LazyStateStore;
import io.pgingest.state.StateStore;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.support.service.ServiceSupport;

/**
 * Binds what pipelines need into a Camel context: the state store, the billing counters,
 * the shared processors {@code pgTypeMapping}, {@code pgNaming} and {@code pgBilling}, and
 * the {@code pg-ingest} route template. Used by {@link PgIngest}; a Camel application that
 * embeds pg-ingest adds it with {@code main.configure().addConfiguration(new PgIngestConfiguration())}
 * or calls {@link #configure(CamelContext)} on its context.
 * <p>Settings (properties): {@code pgingest.state.url} (default an H2 file
 * {@code ./data/pg-ingest-state}), {@code pgingest.state.user}, {@code pgingest.state.password}.
 */
public class PgIngestConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) throws Exception {
        String url = PgIngestComponent.stateUrl(context);
        String user = context.resolvePropertyPlaceholders("{{pgingest.state.user:sa}}");
        String password = context.resolvePropertyPlaceholders("{{pgingest.state.password:}}");
        StateStore state = new LazyStateStore(() -> JdbcStateStore.open(url, user, password));
        context.addService(new ServiceSupport() {
            @Override
            protected void doStop() {
                state.close();
            }
        }, true, true);
        BillingCounters billing = new BillingCounters(state);
        context.getRegistry().bind("pgStateStore", StateStore.class, state);
        context.getRegistry().bind("pgBillingCounters", BillingCounters.class, billing);
        context.getRegistry().bind("pgTypeMapping", new TypeMappingProcessor());
        context.getRegistry().bind("pgNaming", new NamingProcessor());
        context.getRegistry().bind("pgBilling", new BillingProcessor(billing));
        context.addRoutes(new PipelineTemplates());
    }
}
