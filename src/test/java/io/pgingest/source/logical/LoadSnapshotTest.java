package io.pgingest.source.logical;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class LoadSnapshotTest {

    @Test
    void seesTheTransactionsThatHadEndedAndNotTheRunningOrLaterOnes() {
        LoadSnapshot s = LoadSnapshot.parse("100:110:102,105");
        assertThat(s.sees(99)).as("older than xmin").isTrue();
        assertThat(s.sees(101)).as("ended between xmin and xmax").isTrue();
        assertThat(s.sees(102)).as("running at the snapshot").isFalse();
        assertThat(s.sees(110)).as("xmax: not yet begun").isFalse();
        assertThat(s.sees(5_000)).as("later").isFalse();
        assertThat(s.toString()).isEqualTo("100:110:102,105");
        assertThat(LoadSnapshot.parse("7:7:")).satisfies(e -> assertThat(e.sees(6)).isTrue()).satisfies(e -> assertThat(e.sees(7)).isFalse());
    }

    /** Logical decoding gives 32-bit ids: they are placed within 2^31 of xmax, across an epoch boundary too. */
    @Test
    void placesThirtyTwoBitIdsAroundTheSnapshotsEpoch() {
        long epoch1 = 1L << 32;
        LoadSnapshot s = LoadSnapshot.parse((epoch1 + 5) + ":" + (epoch1 + 10) + ":");
        assertThat(s.sees(0xFFFF_FFF0L)).as("the previous epoch's end: older").isTrue();
        assertThat(s.sees(8)).as("this epoch, ended").isTrue();
        assertThat(s.sees(12)).as("this epoch, after the snapshot").isFalse();
    }

    @Test
    void refusesWhatIsNotASnapshot() {
        assertThatThrownBy(() -> LoadSnapshot.parse("12")).hasMessageContaining("not a transaction snapshot");
    }

    @Test
    void theLoadsPositionTravelsWithTheSnapshot() {
        LoadSnapshot s = LoadSnapshot.parse("10:20:12,15").at(777);
        assertThat(s.toString()).isEqualTo("10:20:12,15@777");
        assertThat(LoadSnapshot.parse(s.toString())).isEqualTo(s);
        assertThat(LoadSnapshot.parse("10:20:12,15").position()).isZero();
        assertThat(s.sees(11)).isTrue();
        assertThat(s.sees(12)).isFalse();
    }
}
