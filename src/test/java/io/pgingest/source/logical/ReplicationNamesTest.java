package io.pgingest.source.logical;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

class ReplicationNamesTest {

    @Test
    void aShortCleanNameIsUsedAsIs() {
        assertThat(ReplicationNames.slot("shop")).isEqualTo("pgingest_shop");
        assertThat(ReplicationNames.offsetTable("shop")).isEqualTo("pgingest_offsets_shop");
    }

    @Test
    void longNamesStayWithinPostgresqlsIdentifierLimitAndApart() {
        String a = "a_very_long_pipeline_name_that_goes_on_and_on_for_quite_a_while_number_1";
        String b = "a_very_long_pipeline_name_that_goes_on_and_on_for_quite_a_while_number_2";
        assertThat(ReplicationNames.offsetTable(a)).as("PostgreSQL would silently truncate a longer name")
                .hasSizeLessThanOrEqualTo(63).startsWith("pgingest_offsets_a_very_long");
        assertThat(ReplicationNames.offsetTable(a)).as("the hash keeps two long names apart")
                .isNotEqualTo(ReplicationNames.offsetTable(b));
        assertThat(ReplicationNames.slot(a)).hasSizeLessThanOrEqualTo(63).isNotEqualTo(ReplicationNames.slot(b));
    }

    @Test
    void aNameThatNeedsCleaningKeepsAHashSoThatItCannotCollideWithTheCleanOne() {
        assertThat(ReplicationNames.offsetTable("Shop")).matches("pgingest_offsets_shop_[0-9a-f]{8}");
        assertThat(ReplicationNames.offsetTable("Shop")).isNotEqualTo(ReplicationNames.offsetTable("shop"));
    }
}
