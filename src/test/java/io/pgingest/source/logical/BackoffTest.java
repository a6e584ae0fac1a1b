package io.pgingest.source.logical;

import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class BackoffTest {

    private static List<Long> seconds(long budget) {
        return LogicalReplicationSource.backoff(Duration.ofSeconds(budget)).stream().map(Duration::toSeconds).toList();
    }

    @Test
    void waitsDoubleFromOneSecondWithinTheBudget() {
        assertThat(seconds(7)).containsExactly(1L, 2L, 4L);
        assertThat(seconds(0)).as("at least one retry").containsExactly(1L);
    }

    @Test
    void waitsAreCappedAtAMinuteAndFillTheDefaultTenMinutes() {
        List<Long> waits = seconds(600);
        assertThat(waits).startsWith(1L, 2L, 4L, 8L, 16L, 32L, 60L).allMatch(w -> w <= 60);
        assertThat(waits.stream().mapToLong(Long::longValue).sum()).as("rides out a restart, gives up within the budget")
                .isBetween(540L, 600L);
    }
}
