"""The foundation every layer stands on: the model's dataclasses, IRIs, package data, atomic output files,
the release, dates, segmentation, the gazetteer, the rules and the weights of the scored decision."""
