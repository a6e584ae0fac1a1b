package io.pgingest.billing;

import io.pgingest.event.LoadKind;
import io.pgingest.event.RowBatch;
import io.pgingest.state.StateStore;
import io.pgingest.state.StateStore.Counters;

import java.time.Clock;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.Objects;

/**
 * Counts the events of each batch into the {@link StateStore}, per pipeline, object
 * ({@code schema.table}) and UTC day (SPEC "Billing counters"): loaded historical events are
 * free, loaded incremental events are billable, failed events are never billable. Sources mark
 * every Custom SQL batch {@link LoadKind#INCREMENTAL}, which makes all its events billable.
 * Thread-safe as the store is.
 */
public final class BillingCounters {

    private final StateStore store;
    private final Clock clock;

    public BillingCounters(StateStore store) {
        this(store, Clock.systemUTC());
    }

    /** With a clock whose zone is ignored: days are always UTC days. */
    public BillingCounters(StateStore store, Clock clock) {
        this.store = Objects.requireNonNull(store, "store");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Counts a batch the destination committed: ingested and loaded, billable when incremental. */
    public void loaded(RowBatch b) {
        long n = b.events();
        add(b, new Counters(n, n, 0, b.kind() == LoadKind.INCREMENTAL ? n : 0));
    }

    /** Counts a batch that could not be loaded: ingested and failed, not billable. */
    public void failed(RowBatch b) {
        long n = b.events();
        add(b, new Counters(n, 0, n, 0));
    }

    private void add(RowBatch b, Counters delta) {
        // An empty batch (e.g. only an end-of-run marker) changes no count: spare the store a write.
        if (b.size() == 0) {
            return;
        }
        store.addCounters(b.pipeline(), b.source().display(), LocalDate.ofInstant(clock.instant(), ZoneOffset.UTC),
                delta);
    }
}
