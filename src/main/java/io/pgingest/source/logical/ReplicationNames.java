package io.pgingest.source.logical;

import io.pgingest.naming.DestinationNaming;

import java.util.Locale;

/**
 * Names a pipeline's replication slot, publication and offset table: {@code pgingest_<name>},
 * lower case {@code [a-z0-9_]}, at most 63 characters (PostgreSQL's identifier limit); a longer
 * or changed name keeps a hash of the pipeline name so that two pipelines never share a slot.
 */
public final class ReplicationNames {

    static final int MAX_LENGTH = 63;

    private ReplicationNames() {
    }

    /** The slot and publication name of a pipeline. */
    public static String slot(String pipeline) {
        return name("pgingest_", pipeline);
    }

    /** The state store table holding the pipeline's Debezium offsets (same rules as {@link #slot}). */
    public static String offsetTable(String pipeline) {
        return name("pgingest_offsets_", pipeline);
    }

    private static String name(String prefix, String pipeline) {
        String clean = pipeline.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        String name = prefix + clean;
        if (name.length() <= MAX_LENGTH && clean.equals(pipeline)) {
            return name;
        }
        String hash = DestinationNaming.hash(pipeline);
        String kept = name.substring(0, Math.min(name.length(), MAX_LENGTH - hash.length() - 1));
        return kept + "_" + hash;
    }
}
