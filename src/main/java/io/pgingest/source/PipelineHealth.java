package io.pgingest.source;

import io.pgingest.pipeline.IngestionMode;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One pipeline's health check (id {@code pipeline-<name>}, group {@code pg-ingest}), registered with Camel's
 * health-check registry while the pipeline's consumer runs, and served with the others at {@code /observe/health}
 * when {@code camel.server.enabled} and {@code camel.server.health-check-enabled} are true.
 * <ul>
 * <li>A log-based pipeline is DOWN once it has stopped on a failure (fail-stop: it does not resume by itself):
 * a liveness and a readiness check, so that an orchestrator restarts the process.</li>
 * <li>A table-mode pipeline is DOWN while its last run failed (some object failed; the next scheduled run retries
 * it): a readiness check only, since a restart would not help more than the schedule does.</li>
 * </ul>
 * The details name the pipeline, its mode and state, and the failure with its time.
 */
final class PipelineHealth extends AbstractHealthCheck {

    static final String GROUP = "pg-ingest";

    private final String pipeline;
    private final IngestionMode mode;
    private volatile String state = "starting";
    private volatile String failure;
    private volatile Instant failedAt;
    private volatile Instant lastRunAt;

    PipelineHealth(String pipeline, IngestionMode mode) {
        super(GROUP, "pipeline-" + pipeline);
        this.pipeline = pipeline;
        this.mode = mode;
    }

    @Override
    public boolean isLiveness() {
        return logBased();
    }

    private boolean logBased() {
        return mode == IngestionMode.LOGICAL_REPLICATION;
    }

    /** The pipeline runs: streams ({@code what} = "streaming") or waits for its schedule ("scheduled"). */
    void running(String what) {
        state = what;
    }

    /** A log-based pipeline stopped: on {@code failure}, or (null) without one. */
    void stopped(String failure) {
        state = failure == null ? "stopped" : "failed";
        if (failure != null) {
            this.failure = failure;
            this.failedAt = Instant.now();
        }
    }

    /** A table-mode run ended; {@code failures} lists the objects that failed, empty when none did. */
    void ranOnce(List<String> failures) {
        lastRunAt = Instant.now();
        if (failures.isEmpty()) {
            failure = null;
            failedAt = null;
        } else {
            failure = String.join("; ", failures);
            failedAt = lastRunAt;
        }
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        builder.detail("pipeline", pipeline).detail("mode", mode.keyword()).detail("state", state);
        if (lastRunAt != null) {
            builder.detail("last.run", lastRunAt.toString());
        }
        String f = failure;
        if (f == null) {
            builder.up();
            return;
        }
        builder.detail("failure", f).detail("failed.at", String.valueOf(failedAt));
        builder.message("pipeline " + pipeline + (logBased() ? " stopped: " : ": the last run failed: ") + f);
        builder.down();
    }
}
