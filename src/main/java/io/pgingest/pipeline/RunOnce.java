package io.pgingest.pipeline;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The "run once" operation: every pipeline makes one pass, then the application stops.
 * Pipelines register when they start and report when their pass ended; once the context
 * has started and every registered pipeline reported, {@code onAllDone} runs. The exit
 * code is 0 only when every pipeline succeeded. Thread-safe.
 */
public final class RunOnce {

    /** Exit code when a pipeline failed. */
    public static final int FAILED = 1;
    /** Exit code when there was nothing to run. */
    public static final int NO_PIPELINES = 3;

    private static final Logger LOG = LoggerFactory.getLogger(RunOnce.class);

    private final Runnable onAllDone;
    private final Set<String> expected = ConcurrentHashMap.newKeySet();
    private final Map<String, Boolean> results = new ConcurrentHashMap<>();
    private volatile boolean contextStarted;
    private volatile boolean done;

    public RunOnce(Runnable onAllDone) {
        this.onAllDone = onAllDone;
    }

    public void expect(String pipeline) {
        expected.add(pipeline);
    }

    public void finished(String pipeline, boolean succeeded) {
        results.put(pipeline, succeeded);
        LOG.info("pipeline {}: run {}", pipeline, succeeded ? "succeeded" : "FAILED");
        maybeDone();
    }

    /** Called once every route has started: from then on, all pipelines are registered. */
    public void contextStarted() {
        contextStarted = true;
        if (expected.isEmpty()) {
            LOG.error("--once: no pipeline found; add a pipeline file under routes/ (see README)");
        }
        maybeDone();
    }

    public int exitCode() {
        if (expected.isEmpty()) {
            return NO_PIPELINES;
        }
        boolean allOk = expected.stream().allMatch(p -> Boolean.TRUE.equals(results.get(p)));
        return allOk ? 0 : FAILED;
    }

    private synchronized void maybeDone() {
        if (!done && contextStarted && results.keySet().containsAll(expected)) {
            done = true;
            onAllDone.run();
        }
    }
}
