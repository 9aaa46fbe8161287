"""Installs the exported `medart` package (nbdev 2 layout: the metadata comes from settings.ini)."""
from configparser import ConfigParser
from pathlib import Path
from setuptools import find_packages, setup

cfg = ConfigParser(delimiters=['='])
cfg.read('settings.ini', encoding='utf-8')
cfg = cfg['DEFAULT']
readme = Path('README.md')
setup(
    name=cfg['lib_name'], version=cfg['version'], description=cfg['description'],
    long_description=readme.read_text(encoding='utf-8') if readme.exists() else '', long_description_content_type='text/markdown',
    keywords=cfg['keywords'], license='Apache-2.0', author=cfg['author'], author_email=cfg['author_email'],
    url=cfg['git_url'], classifiers=['Programming Language :: Python :: 3'],
    python_requires=f">={cfg['min_python']}",
    packages=find_packages(include=[cfg['lib_path'], cfg['lib_path'] + '.*']),
    package_data={cfg['lib_path']: ['*.csv']},  # the paper's published numbers (medart/paper_results.csv), read by medart.report
    install_requires=cfg['requirements'].split(),
    extras_require={'dev': cfg['dev_requirements'].split()},
    entry_points={'papermill.io': ['runs/ = medart.stage_io:RunsFolderHandler']}, zip_safe=False,
)
