"""Data: corpora (folders, VCTK, the embedded defaults, Spotify), training pairs, tf.data.

See notebook ``03_data_generation``.
"""

from .arctic import arctic_sentence
from .corpus import Clip, Corpus, corpus_table, folder_corpus, group_split
from .embedded import build_music, build_speech, cache_dir, default_corpus
from .magnatagatune import magnatagatune_corpus
from .open import open_corpus
from .recorded import SOURCES, build_recorded, gate, source_table
from .pairs import Pairs, make_pairs
from .pipeline import make_dataset, measure_throughput
from .spotify import spotify_corpus
from .vctk import vctk_corpus

__all__ = ["Clip", "Corpus", "open_corpus", "corpus_table", "folder_corpus", "group_split", "vctk_corpus", "default_corpus",
           "build_speech", "build_music", "cache_dir", "Pairs", "make_pairs", "make_dataset",
           "measure_throughput", "spotify_corpus", "arctic_sentence", "magnatagatune_corpus", "SOURCES",
           "build_recorded", "gate", "source_table"]
