-- A horizon at 0 reads as no row did (never pruned): the rows stay.
SELECT 1;
