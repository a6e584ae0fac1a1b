package io.pgingest.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import org.junit.jupiter.api.Test;

class EngineStopRaceFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final EngineStopRaceFilter filter = new EngineStopRaceFilter();

    /** The exception Debezium 3.4's engine logs when a stop shuts its record processing threads down mid-batch. */
    private static Throwable stopRace() {
        return new ExecutionException(new RejectedExecutionException("Task java.util.concurrent.FutureTask@6e24a5f8"
                + " rejected from java.util.concurrent.ThreadPoolExecutor@725ca9f7[Shutting down, pool size = 1,"
                + " active threads = 0, queued tasks = 0, completed tasks = 15]"));
    }

    private FilterReply decide(String logger, Level level, Throwable t) {
        return filter.decide(new LoggingEvent("test", context.getLogger(logger), level, "Engine has failed with ", t, null));
    }

    @Test
    void dropsTheEnginesErrorWhenAStopRacesABatch() {
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.ERROR, stopRace())).isEqualTo(FilterReply.DENY);
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.ERROR, new RejectedExecutionException(
                "Task x rejected from java.util.concurrent.ThreadPoolExecutor@1[Terminated, pool size = 0]")))
                .isEqualTo(FilterReply.DENY);
    }

    @Test
    void letsEveryOtherEventThrough() {
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.ERROR, new ExecutionException(new IllegalStateException("x"))))
                .as("another failure of the engine").isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.ERROR, new RejectedExecutionException(
                "Task x rejected from java.util.concurrent.ThreadPoolExecutor@1[Running, pool size = 1]")))
                .as("a refusal of a running executor").isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.ERROR, null)).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("io.pgingest.source.logical.LogicalReplicationSource", Level.ERROR, stopRace()))
                .as("another logger").isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(EngineStopRaceFilter.ENGINE_LOGGER, Level.WARN, stopRace())).isEqualTo(FilterReply.NEUTRAL);
    }
}
