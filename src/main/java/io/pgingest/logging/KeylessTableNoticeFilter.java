package io.pgingest.logging;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.filter.Filter;
import ch.qos.logback.core.spi.FilterReply;

/**
 * Drops Debezium's warning that a table has no primary key ("Primary keys are not defined for table 't', defaulting to
 * unique indices"), which its pgoutput decoder logs at every relation message of a table without key: such a table is
 * streamed on purpose (REPLICA IDENTITY FULL, see keylessTables), and pg-ingest says how it writes it. A busy table
 * without key filled the log with it, several times a minute per pipeline (found by the twenty-second session's probe).
 * Every other event passes (used in logback.xml).
 */
public final class KeylessTableNoticeFilter extends Filter<ILoggingEvent> {

    static final String DECODER_LOGGER = "io.debezium.connector.postgresql.connection.pgoutput.PgOutputMessageDecoder";

    @Override
    public FilterReply decide(ILoggingEvent event) {
        if (event.getLevel() == Level.WARN && DECODER_LOGGER.equals(event.getLoggerName())
                && event.getFormattedMessage() != null
                && event.getFormattedMessage().startsWith("Primary keys are not defined for table")) {
            return FilterReply.DENY;
        }
        return FilterReply.NEUTRAL;
    }
}
