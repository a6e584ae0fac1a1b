package io.pgingest.billing;

import io.pgingest.event.RowBatch;
import io.pgingest.state.StateStore;
import org.apache.camel.Exchange;
import org.apache.camel.InvalidPayloadException;
import org.apache.camel.Processor;

import java.util.Objects;

/**
 * Camel processor (bean {@code pgBilling}) placed after the destination in a route: counts the
 * {@link RowBatch} body as loaded through {@link BillingCounters}, leaving the body unchanged.
 * Because it runs only after the destination committed, a batch that failed to load is never
 * counted as loaded. Thread-safe.
 */
public final class BillingProcessor implements Processor {

    private final BillingCounters counters;

    public BillingProcessor(BillingCounters counters) {
        this.counters = Objects.requireNonNull(counters, "counters");
    }

    public BillingProcessor(StateStore store) {
        this(new BillingCounters(store));
    }

    @Override
    public void process(Exchange exchange) throws InvalidPayloadException {
        counters.loaded(exchange.getIn().getMandatoryBody(RowBatch.class));
    }
}
