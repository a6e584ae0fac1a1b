package io.pgingest.state;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class JdbcStateStoreUrlTest {

    @Test
    void h2FileDatabasesSkipTheCompactionAtCloseAndAreClosedByPgIngest() {
        assertThat(JdbcStateStore.connectionUrl("jdbc:h2:file:./data/pg-ingest-state"))
                .isEqualTo("jdbc:h2:file:./data/pg-ingest-state;MAX_COMPACT_TIME=0;DB_CLOSE_ON_EXIT=FALSE");
        assertThat(JdbcStateStore.connectionUrl("jdbc:h2:/var/lib/state;AUTO_SERVER=TRUE"))
                .isEqualTo("jdbc:h2:/var/lib/state;AUTO_SERVER=TRUE;MAX_COMPACT_TIME=0;DB_CLOSE_ON_EXIT=FALSE");
    }

    @Test
    void aUrlThatSetsEitherKeepsIt() {
        assertThat(JdbcStateStore.connectionUrl("jdbc:h2:file:/s;max_compact_time=500"))
                .isEqualTo("jdbc:h2:file:/s;max_compact_time=500;DB_CLOSE_ON_EXIT=FALSE");
        assertThat(JdbcStateStore.connectionUrl("jdbc:h2:file:/s;DB_CLOSE_ON_EXIT=TRUE"))
                .isEqualTo("jdbc:h2:file:/s;DB_CLOSE_ON_EXIT=TRUE;MAX_COMPACT_TIME=0");
    }

    @Test
    void otherDatabasesAreLeftAlone() {
        assertThat(JdbcStateStore.connectionUrl("jdbc:h2:mem:state")).isEqualTo("jdbc:h2:mem:state");
        assertThat(JdbcStateStore.connectionUrl("jdbc:postgresql://db/state")).isEqualTo("jdbc:postgresql://db/state");
    }
}
