package io.pgingest.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;
import java.util.concurrent.RejectedExecutionException;

/**
 * Drops the one error Debezium's engine logs when it is stopped while it hands a polled batch to its record
 * processing threads, which the stop has just shut down ("Engine has failed with ... RejectedExecutionException
 * ... Shutting down"): the batch was not handed to the pipeline, so its offsets were not committed and the next
 * start reads it again; nothing failed. Every other event passes (used in logback.xml).
 */
public final class EngineStopRaceFilter extends Filter<ILoggingEvent> {

    static final String ENGINE_LOGGER = "io.debezium.embedded.async.AsyncEmbeddedEngine";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (event.getLevel() == Level.ERROR && ENGINE_LOGGER.equals(event.getLoggerName())
                && rejectedAtShutdown(event.getThrowableProxy())) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }

    /** Whether the throwable or one of its causes is an executor's refusal because it is shutting down or terminated. */
    static boolean rejectedAtShutdown(IThrowableProxy throwable) {
        for (IThrowableProxy t = throwable; t != null; t = t.getCause()) {
            if (RejectedExecutionException.class.getName().equals(t.getClassName()) && t.getMessage() != null
                    && (t.getMessage().contains("Shutting down") || t.getMessage().contains("Terminated"))) {
                return true;
            }
        }
        return false;
    }
}
