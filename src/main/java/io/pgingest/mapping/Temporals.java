package io.pgingest.mapping;

import java.time.OffsetDateTime;
import java.time.ZoneOffset;

/** Date/time normalisations shared by the readers and the processor. */
final class Temporals {

    private Temporals() {
    }

    /**
     * The same instant at offset UTC. {@code OffsetDateTime.MAX}/{@code MIN} (PostgreSQL's infinity)
     * are kept as they are: they cannot be moved to UTC without leaving the supported range.
     */
    static OffsetDateTime utc(OffsetDateTime v) {
        if (v == null || ZoneOffset.UTC.equals(v.getOffset()) || v.equals(OffsetDateTime.MAX)
                || v.equals(OffsetDateTime.MIN)) {
            return v;
        }
        return v.withOffsetSameInstant(ZoneOffset.UTC);
    }

    static boolean isUtc(OffsetDateTime v) {
        return ZoneOffset.UTC.equals(v.getOffset()) || v.equals(OffsetDateTime.MAX) || v.equals(OffsetDateTime.MIN);
    }
}
