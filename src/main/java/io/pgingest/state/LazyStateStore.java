package io.pgingest.state;

import java.time.LocalDate;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link StateStore} that opens its delegate on first use, so that an application which
 * fails its start-up checks creates no state file and touches no state database. Thread-safe.
 */
public final class LazyStateStore implements StateStore {

    private final Supplier<StateStore> opener;
    private volatile StateStore delegate;

    public LazyStateStore(Supplier<StateStore> opener) {
        this.opener = opener;
    }

    private StateStore store() {
        StateStore d = delegate;
        if (d == null) {
            synchronized (this) {
                if (delegate == null) {
                    delegate = opener.get();
                }
                d = delegate;
            }
        }
        return d;
    }

    @Override
    public Optional<String> cursor(String pipeline, String object) {
        return store().cursor(pipeline, object);
    }

    @Override
    public void saveCursor(String pipeline, String object, String cursor) {
        store().saveCursor(pipeline, object, cursor);
    }

    @Override
    public void deleteCursor(String pipeline, String object) {
        store().deleteCursor(pipeline, object);
    }

    @Override
    public List<ObjectRecord> objects(String pipeline) {
        return store().objects(pipeline);
    }

    @Override
    public Optional<ObjectRecord> object(String pipeline, String object) {
        return store().object(pipeline, object);
    }

    @Override
    public void saveObject(ObjectRecord record) {
        store().saveObject(record);
    }

    @Override
    public void savePipeline(PipelineRecord record) {
        store().savePipeline(record);
    }

    @Override
    public Optional<PipelineRecord> pipeline(String pipeline) {
        return store().pipeline(pipeline);
    }

    @Override
    public List<String> pipelines() {
        return store().pipelines();
    }

    @Override
    public Removed deletePipeline(String pipeline) {
        return store().deletePipeline(pipeline);
    }

    @Override
    public void addCounters(String pipeline, String object, LocalDate day, Counters delta) {
        store().addCounters(pipeline, object, day, delta);
    }

    @Override
    public List<CounterRow> counters(String pipeline) {
        return store().counters(pipeline);
    }

    @Override
    public synchronized void close() {
        if (delegate != null) {
            delegate.close();
            delegate = null;
        }
    }
}
