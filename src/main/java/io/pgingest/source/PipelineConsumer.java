package io.pgingest.source;

import io.pgingest.billing.BillingCounters;
import io.pgingest.event.RowBatch;
import io.pgingest.naming.NamingProcessor;
import io.pgingest.pipeline.Frequency;
import io.pgingest.pipeline.PipelineConfigException;
import io.pgingest.pipeline.PipelineSettings;
import io.pgingest.pipeline.RouteFiles;
import io.pgingest.pipeline.RunOnce;
import io.pgingest.pipeline.IngestionMode;
import io.pgingest.source.logical.LogicalReplicationSource;
import io.pgingest.source.table.TableSource;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.Route;
import org.apache.camel.StartupListener;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.locks.ReentrantLock;

/**
 * Runs one pipeline. Starting validates the settings and reaches the source (failing the
 * application's start with one line naming the file, pipeline and key); the first run
 * begins only once the whole application has started, so a bad pipeline elsewhere means
 * nothing is written. Then: with {@code --once}, one pass; otherwise a pass at start and
 * one per frequency on a Quartz schedule. A logical-replication pipeline instead streams
 * continuously on its own thread ({@code --once}: until caught up with the WAL at start), unless it has a
 * frequency: then each scheduled run reads its slot as an {@code --once} run does.
 * Each batch goes through the route synchronously; a batch the route failed stops that
 * object's run (logical: the pipeline, after retries) and is counted as failed. The pipeline's
 * {@link PipelineHealth} check tells whether it runs or stopped on a failure. A route stopped and
 * started again while the application runs (or added to it then) begins at once: logical replication
 * goes on from the offset its last batch committed.
 */
final class PipelineConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(PipelineConsumer.class);

    private final ReentrantLock running = new ReentrantLock();
    private PipelineSettings settings;
    private TableSource source;
    private LogicalReplicationSource logical;
    private BillingCounters billing;
    private ExecutorService executor;
    private QuartzSchedule schedule;
    private volatile PipelineHealth health;

    PipelineConsumer(PgIngestEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
    }

    @Override
    public PgIngestEndpoint getEndpoint() {
        return (PgIngestEndpoint) super.getEndpoint();
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        String location = location();
        PgIngestComponent component = getEndpoint().getComponent();
        try {
            settings = getEndpoint().settings();
            component.register(settings.name(), location);
            if (settings.mode() == IngestionMode.LOGICAL_REPLICATION) {
                logical = new LogicalReplicationSource(settings, component.stateStore(), component.stateDatabase());
                logical.check();
            } else {
                source = new TableSource(settings, component.stateStore());
                source.check();
            }
        } catch (PipelineConfigException e) {
            throw e.withLocation(location);
        }
        billing = component.billing();
        health = new PipelineHealth(settings.name(), settings.mode());
        HealthCheckRegistry registry = HealthCheckRegistry.get(getEndpoint().getCamelContext());
        if (registry != null) {
            registry.register(health);
        }
        RunOnce once = component.runOnce();
        if (once != null) {
            once.expect(settings.name());
        }
        if (getEndpoint().getCamelContext().isStarted()) {
            // the route started after the application (restarted through the route controller, JMX or a
            // control bus, or added at run time): a startup listener added now would never be called
            begin(once);
            return;
        }
        getEndpoint().getCamelContext().addStartupListener(new StartupListener() {
            @Override
            public void onCamelContextStarted(org.apache.camel.CamelContext context, boolean alreadyStarted) {
                // runs start in onCamelContextFullyStarted
            }

            @Override
            public void onCamelContextFullyStarted(org.apache.camel.CamelContext context, boolean alreadyStarted) throws Exception {
                begin(once);
            }
        });
    }

    private void begin(RunOnce once) throws Exception {
        if (logical != null && (settings.streams() || once != null)) {
            executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                    .newSingleThreadExecutor(this, "pgingest-" + settings.name());
            health.running("streaming");
            executor.submit(() -> {
                boolean ok = runLogical(once != null);
                if (once != null) {
                    once.finished(settings.name(), ok);
                }
            });
        } else if (once != null) {
            executor = getEndpoint().getCamelContext().getExecutorServiceManager()
                    .newSingleThreadExecutor(this, "pgingest-" + settings.name());
            executor.submit(() -> once.finished(settings.name(), runPass()));
        } else {
            LOG.info("pipeline {}: runs now, then every {}{}", settings.name(), Frequency.format(settings.frequency()),
                    logical != null ? " (each run reads the replication slot up to the WAL position at its start)" : "");
            health.running("scheduled");
            schedule = QuartzSchedule.start(getEndpoint().getCamelContext(), settings.name(), settings.frequency(),
                    logical != null ? this::runLogicalPass : this::runPass);
        }
    }

    /** Streams changes until stopped or failed ({@code once}: until caught up); returns whether it succeeded. */
    private boolean runLogical(boolean once) {
        Optional<String> failure = logicalRun(once);
        PipelineHealth h = health; // null once the consumer stopped
        if (h != null) {
            h.stopped(failure.orElse(null));
        }
        return failure.isEmpty();
    }

    /**
     * One scheduled run of a log-based pipeline with a frequency: its loads owed, then the changes its slot holds up to
     * the WAL position at the run's start, as an {@code --once} run; the replication connection is closed until the next
     * run. Never overlaps itself.
     */
    private void runLogicalPass() {
        if (!running.tryLock()) {
            LOG.warn("pipeline {}: previous run still in progress; skipping this one", settings.name());
            return;
        }
        try {
            ranOnce(logicalRun(true).map(List::of).orElse(List.of()));
        } finally {
            running.unlock();
        }
    }

    /** One run of the logical-replication source ({@link LogicalReplicationSource#run}); returns its failure, if any. */
    private Optional<String> logicalRun(boolean once) {
        try {
            return logical.run(this::send, once);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return Optional.of("interrupted");
        } catch (RuntimeException e) {
            LOG.error("pipeline {}: logical replication failed: {}", settings.name(), e.getMessage(), e);
            return Optional.of(String.valueOf(e.getMessage()));
        }
    }

    /** One pass over the pipeline's objects; returns whether every object succeeded. Never overlaps itself. */
    boolean runPass() {
        if (!running.tryLock()) {
            LOG.warn("pipeline {}: previous run still in progress; skipping this one", settings.name());
            return true;
        }
        try {
            TableSource.RunResult result = source.run(this::send);
            ranOnce(result.failures());
            if (!result.succeeded()) {
                LOG.error("pipeline {}: {} of {} objects failed: {}", settings.name(), result.failures().size(),
                        result.objects(), String.join("; ", result.failures()));
            }
            return result.succeeded();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        } catch (Exception e) {
            LOG.error("pipeline {}: run failed: {}", settings.name(), e.getMessage(), e);
            ranOnce(List.of(String.valueOf(e.getMessage())));
            return false;
        } finally {
            running.unlock();
        }
    }

    private void ranOnce(List<String> failures) {
        PipelineHealth h = health; // null once the consumer stopped
        if (h != null) {
            h.ranOnce(failures);
        }
    }

    /** Sends one batch through the route; returns after the destination committed it. */
    private void send(RowBatch batch) throws Exception {
        Exchange exchange = createExchange(false);
        try {
            exchange.getIn().setBody(batch);
            exchange.getIn().setHeader(NamingProcessor.MERGE_TABLES_HEADER, settings.mergeTables());
            try {
                getProcessor().process(exchange);
            } catch (Exception e) {
                exchange.setException(e);
            }
            Exception failure = exchange.getException();
            if (failure != null) {
                billing.failed(batch);
                throw failure;
            }
        } finally {
            releaseExchange(exchange, false);
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (schedule != null) {
            schedule.stop();
            schedule = null;
        }
        if (logical != null) {
            logical.stop();
        }
        if (executor != null) {
            getEndpoint().getCamelContext().getExecutorServiceManager().shutdownNow(executor);
            executor = null;
        }
        if (health != null) {
            HealthCheckRegistry registry = HealthCheckRegistry.get(getEndpoint().getCamelContext());
            if (registry != null) {
                registry.unregister(health);
            }
            health = null;
        }
        if (settings != null) {
            getEndpoint().getComponent().unregister(settings.name());
        }
        super.doStop();
    }

    /** The route file this pipeline comes from (see {@link io.pgingest.pipeline.RouteFiles}), or null. */
    private String location() {
        Route route = getRoute();
        String location = route == null ? null : route.getSourceLocationShort();
        if (location == null) {
            RouteFiles files = getEndpoint().getCamelContext().getRegistry().findSingleByType(RouteFiles.class);
            location = files == null ? null : files.fileOf(getEndpoint().pipelineName());
        }
        return location;
    }
}
