package io.pgingest.destination.camel;

import io.pgingest.destination.duckdb.DuckDbWriter;
import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/** A producer-only endpoint writing {@code RowBatch} bodies into one DuckDB file. */
@UriEndpoint(scheme = "pgingest-duckdb", title = "pg-ingest DuckDB destination", syntax = "pgingest-duckdb:file",
        category = {Category.DATABASE}, producerOnly = true)
public final class DuckDbEndpoint extends DefaultEndpoint {

    @UriPath(description = "DuckDB database file; created with its directories when missing")
    private final String file;
    @UriParam(defaultValue = DuckDbWriter.DEFAULT_CHECKPOINT_THRESHOLD, description = "WAL size at which DuckDB "
            + "checkpoints the file (e.g. 16MB, 1GB); every endpoint of one file must give the same")
    private String checkpointThreshold = DuckDbWriter.DEFAULT_CHECKPOINT_THRESHOLD;
    @UriParam(description = "How many threads DuckDB works with; default: one fewer than the machine's processors (at"
            + " least 1); every endpoint of one file must give the same")
    private int threads = DuckDbWriter.defaultThreads();

    DuckDbEndpoint(String uri, DuckDbComponent component, String file) {
        super(uri, component);
        this.file = file;
    }

    public String getFile() {
        return file;
    }

    public String getCheckpointThreshold() {
        return checkpointThreshold;
    }

    public void setCheckpointThreshold(String checkpointThreshold) {
        this.checkpointThreshold = DuckDbWriter.checkSize(checkpointThreshold);
    }

    public int getThreads() {
        return threads;
    }

    public void setThreads(int threads) {
        if (threads < 1) {
            throw new IllegalArgumentException("pgingest-duckdb:" + file + " has threads=" + threads
                    + ": give at least 1 (or leave it out: one fewer than the machine's processors)");
        }
        this.threads = threads;
    }

    /** The settings of the file's database instance this endpoint asks for. */
    String fileSettings() {
        return "checkpointThreshold=" + checkpointThreshold + "&threads=" + threads;
    }

    @Override
    public Producer createProducer() {
        DuckDbComponent component = (DuckDbComponent) getComponent();
        return new WriterProducer(this, () -> component.writer(file, checkpointThreshold, threads));
    }

    @Override
    public Consumer createConsumer(Processor processor) {
        throw new UnsupportedOperationException("pgingest-duckdb is a destination: use it in to:, not from:");
    }
}
