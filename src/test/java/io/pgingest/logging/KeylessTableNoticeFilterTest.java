package io.pgingest.logging;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.LoggingEvent;
import ch.qos.logback.core.spi.FilterReply;
import org.junit.jupiter.api.Test;

class KeylessTableNoticeFilterTest {

    private final LoggerContext context = new LoggerContext();
    private final KeylessTableNoticeFilter filter = new KeylessTableNoticeFilter();

    private FilterReply decide(String logger, Level level, String message) {
        return filter.decide(new LoggingEvent("test", context.getLogger(logger), level, message, null, new Object[] {"nk"}));
    }

    @Test
    void dropsTheDecodersWarningOfATableWithoutKey() {
        assertThat(decide(KeylessTableNoticeFilter.DECODER_LOGGER, Level.WARN,
                "Primary keys are not defined for table '{}', defaulting to unique indices")).isEqualTo(FilterReply.DENY);
    }

    @Test
    void letsEveryOtherEventThrough() {
        assertThat(decide(KeylessTableNoticeFilter.DECODER_LOGGER, Level.WARN, "Failed to parse {}"))
                .isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide(KeylessTableNoticeFilter.DECODER_LOGGER, Level.ERROR,
                "Primary keys are not defined for table '{}', defaulting to unique indices")).isEqualTo(FilterReply.NEUTRAL);
        assertThat(decide("io.pgingest.Other", Level.WARN, "Primary keys are not defined for table '{}'"))
                .isEqualTo(FilterReply.NEUTRAL);
    }
}
